/** Running the CLI in-process from a test, with its console output captured per run. */
import { main } from '../../bdda/cli';

export interface CapturedConsole {
  /** console.error lines of the current run. */
  readonly errors: string[];
  /** console.log lines of the current run. */
  readonly logs: string[];
}

/** Registers hooks that capture console.log and console.error in every test of the file. */
export function captureConsole(): CapturedConsole {
  const captured = { errors: [] as string[], logs: [] as string[] };
  beforeEach(() => {
    captured.errors.length = 0;
    captured.logs.length = 0;
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void captured.errors.push(args.map(String).join(' ')));
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void captured.logs.push(args.map(String).join(' ')));
  });
  afterEach(() => jest.restoreAllMocks());
  return captured;
}

/** Runs `bdda <args>` in-process, dropping the console output of earlier runs. */
export function runCli(captured: CapturedConsole, ...args: string[]): Promise<number> {
  captured.errors.length = 0;
  captured.logs.length = 0;
  return main(['node', 'bdda', ...args]);
}

/** Puts an environment variable back as it was. */
export function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Runs `bdda <args>` in-process as `user` (BDDA_USER); throws showing its output when the exit code is not `expected`. */
export async function runCliAs(captured: CapturedConsole, user: string, expected: number, ...args: string[]): Promise<void> {
  process.env.BDDA_USER = user;
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(
      `bdda ${args.join(' ')} as ${user} exited ${code}, expected ${expected}:\n${captured.errors.join('\n')}\n${captured.logs.join('\n').slice(-4000)}`,
    );
  }
}
