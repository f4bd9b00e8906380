/**
 * An error the user can act on. The CLI prints its message as one paragraph, without a stack
 * trace, and exits non-zero. Anything else that escapes is a bug and is printed with its stack.
 */
export class BddaError extends Error {
  /** The process exit code. */
  public readonly exitCode: number;

  constructor(message: string, options: BddaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
    this.name = 'BddaError';
  }
}

export interface BddaErrorOptions {
  /** The process exit code. @default 1 */
  readonly exitCode?: number;
  /** The error this one explains; the crash report shows the chain. */
  readonly cause?: unknown;
}

/** A problem in the environment hierarchy, naming the file and the key. */
export class ConfigError extends BddaError {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => (p.key ? `${p.file}: ${p.key}: ${p.message}` : `${p.file}: ${p.message}`)).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface ConfigProblem {
  /** The config file, relative to the repository root. */
  readonly file: string;
  /** The dotted key, e.g. `vpc.subnets.private[1]`; empty for a whole-file problem. */
  readonly key: string;
  readonly message: string;
}

/**
 * `err` with `note` added after its message, as a new error whose cause is `err` (a BddaError
 * stays one, with its exit code), so that the crash report still shows the original.
 */
export function withNote(err: unknown, note: string): unknown {
  if (err instanceof BddaError) return new BddaError(`${err.message}\n\n${note}`, { exitCode: err.exitCode, cause: err });
  if (err instanceof Error) return new Error(`${err.message}\n\n${note}`, { cause: err });
  return err;
}
