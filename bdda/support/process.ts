/**
 * The one way bdda runs another program (terraform, kubectl, git, the ref's own bdda in sync).
 *
 * The child starts in a process group of its own, so a terminal's Ctrl-C (a signal to the
 * foreground group) never reaches it directly: the interrupt handler (interrupt.ts) forwards it
 * exactly one SIGINT instead, and an AbortSignal stops the child and everything it started by
 * signalling the whole group. A binary that is missing or not executable is a BddaError naming it
 * and the variable that chooses it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { throwIfInterrupted, trackChild } from './interrupt';

/** A program to run, and what to tell the user when it cannot be started. */
export interface Program {
  /** The binary: a name looked up on the PATH, or a path. */
  readonly binary: string;
  /** What it is called in messages, e.g. `terraform` for a `tofu` binary. @default the binary's file name */
  readonly name?: string;
  /** What to install when it is missing, e.g. `terraform 1.11 (or OpenTofu)`. */
  readonly install: string;
  /** The environment variable that chooses the binary, e.g. `TERRAFORM_BINARY`. @default none: it must be on the PATH */
  readonly variable?: string;
}

export interface RunOptions {
  /** The working directory. @default process.cwd() */
  readonly cwd?: string;
  /** The child's whole environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Stops the child: SIGTERM to its process group, SIGKILL if it is still there {@link KILL_AFTER_MS} later. */
  readonly signal?: AbortSignal;
  /** Receives each line of stdout as it comes (stdout is captured all the same). */
  readonly onLine?: (line: string) => void;
  /** `inherit`: stdout and stderr go to this process's own, uncaptured. @default 'pipe' */
  readonly output?: 'pipe' | 'inherit';
  /**
   * What an interrupt of this run (interrupt.ts) does: `stop`: nothing starts after it, and a
   * running child receives the one SIGINT forwarded; `finish`: the child starts and runs to its end
   * (short calls that clean-up needs, such as git's).
   * @default 'stop'
   */
  readonly onInterrupt?: 'stop' | 'finish';
}

export interface ProcessResult {
  /** The exit code; {@link SIGNALLED_EXIT_CODE} when a signal ended it. */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal?: NodeJS.Signals;
  readonly stdout: string;
  readonly stderr: string;
  /** Seconds it took. */
  readonly seconds: number;
}

/** How long an aborted child's group has between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 5000;

/** The exit code reported for a child ended by a signal, as shells report SIGINT. */
const SIGNALLED_EXIT_CODE = 130;

/**
 * Runs `program` with `args` and resolves with its exit code and output, whatever the code.
 * Rejects when it cannot be started, when the run was interrupted before it started, or when
 * `signal` aborted it (the error's cause is the abort reason).
 */
export async function runProcess(program: Program, args: readonly string[], opts: RunOptions = {}): Promise<ProcessResult> {
  const stopsOnInterrupt = opts.onInterrupt !== 'finish';
  // After an interrupt nothing new starts; the command stops at this safe point.
  if (stopsOnInterrupt) throwIfInterrupted();
  opts.signal?.throwIfAborted();
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(program.binary, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', opts.output === 'inherit' ? 'inherit' : 'pipe', opts.output === 'inherit' ? 'inherit' : 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!opts.onLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(opts.onLine);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    const untrack = stopsOnInterrupt ? trackChild(child) : () => undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      signalGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      untrack();
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
    };

    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(startFailure(program, err));
    });
    child.on('close', (code, signal) => {
      done();
      if (opts.onLine && pending) opts.onLine(pending);
      if (opts.signal?.aborted) {
        reject(new BddaError(`\`${[program.binary, ...args.slice(0, 2)].join(' ')}\` was stopped before it finished.`, { cause: opts.signal.reason }));
        return;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code: code ?? SIGNALLED_EXIT_CODE, signal: signal ?? undefined, stdout, stderr, seconds });
    });
  });
}

/**
 * {@link runProcess} for the few callers that must stay synchronous (the git calls of CI and of
 * the guards, each a fraction of a second): no abort, no line sink, not tracked by the interrupt
 * handler, since nothing can run while it blocks the event loop.
 */
export function runProcessSync(program: Program, args: readonly string[], opts: Pick<RunOptions, 'cwd' | 'env'> = {}): ProcessResult {
  const started = process.hrtime.bigint();
  const result = spawnSync(program.binary, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw startFailure(program, result.error as NodeJS.ErrnoException);
  return {
    code: result.status ?? SIGNALLED_EXIT_CODE,
    signal: result.signal ?? undefined,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** Signals the child's whole process group (it leads one: it was started detached). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function startFailure(program: Program, err: NodeJS.ErrnoException): Error {
  const what = `The ${program.name ?? path.basename(program.binary)} binary "${program.binary}"`;
  const choose = program.variable ? `, or set ${program.variable} to the binary to use` : ' and put it on the PATH';
  if (err.code === 'ENOENT') {
    return new BddaError(`${what} was not found${program.binary.includes('/') ? '' : ' on the PATH'}. Install ${program.install}${choose}.`, {
      cause: err,
    });
  }
  if (err.code === 'EACCES') {
    return new BddaError(`${what} cannot be run (not executable). Make it executable${choose}.`, { cause: err });
  }
  return new BddaError(`${what} could not be started (${err.message}).`, { cause: err });
}
