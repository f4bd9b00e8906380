/**
 * What the user sees when bdda itself fails: never a raw stack trace, but one paragraph saying it
 * is a bug, where the full trace was written (`.bdda/crash/`, git-ignored), and how to report it.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { BddaError } from '../../config/errors';
import { writeFileAtomic } from './fs-atomic';
import { displayPath, workspace } from './workspace';

/** The folder crash reports go to, under the workspace root. */
function crashDir(root: string): string {
  return path.join(root, '.bdda', 'crash');
}

/**
 * The message for an error that escaped a command: a BddaError's own message, or for anything
 * else a bug report, after writing the full trace to a file. Returns the text and exit code.
 */
export function describeFailure(err: unknown, argv: readonly string[], root = workspace().root): { message: string; exitCode: number } {
  if (err instanceof BddaError) return { message: `Error: ${err.message}`, exitCode: err.exitCode };
  const summary = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : `a thrown ${typeof err}: ${String(err).split('\n')[0]}`;
  const command = `bdda ${argv.slice(2).join(' ')}`.trim();
  let where: string;
  try {
    const file = path.join(crashDir(root), `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.txt`);
    writeFileAtomic(file, crashReport(err, command));
    where = `The full trace was written to ${displayPath(file, root)}.`;
  } catch (writeErr) {
    where = `The full trace could not be written to ${displayPath(crashDir(root), root)}/ (${(writeErr as NodeJS.ErrnoException).code ?? String(writeErr)}).`;
  }
  return {
    message:
      `Error: bdda failed with an unexpected error, which is a bug in bdda, not in your input (${summary}). ${where} ` +
      `Please report it to the bdda maintainers as an issue in this repository, with that file and the command you ran (\`${command}\`).`,
    exitCode: 1,
  };
}

function crashReport(err: unknown, command: string): string {
  return [
    `command: ${command}`,
    `time: ${new Date().toISOString()}`,
    `node: ${process.version} on ${os.platform()} ${os.release()} ${os.arch()}`,
    `cwd: ${process.cwd()}`,
    '',
    inspect(err, { depth: 6 }),
    '',
  ].join('\n');
}

/**
 * Process-wide: an exception or rejection that escapes every handler (a stray callback or promise)
 * is reported the same way, then the process exits 1. Only the CLI installs these.
 */
export function installCrashHandlers(argv: readonly string[]): void {
  const handle = (err: unknown) => {
    const { message, exitCode } = describeFailure(err, argv);
    console.error(message);
    process.exit(exitCode);
  };
  process.on('uncaughtException', handle);
  process.on('unhandledRejection', handle);
}
