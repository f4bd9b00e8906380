/**
 * An error the user can act on. The CLI prints its message as one paragraph, without a stack
 * trace, and exits non-zero. Anything else that escapes is a bug and is printed with its stack.
 */
export class BddaError extends Error {
  constructor(
    message: string,
    /** The process exit code. */
    public readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'BddaError';
  }
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
