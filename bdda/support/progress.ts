/**
 * Progress lines for long steps: `[dev/dev2] FLAG     init done (2.1s)`. Time is printed here
 * only, never into the diff files.
 */
export interface Progress {
  step(env: string, layer: string, message: string): void;
  warn(env: string, message: string): void;
  /** A line of an engine's own output, e.g. terraform apply's. */
  passthrough(line: string): void;
}

export function consoleProgress(): Progress {
  const started = Date.now();
  const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  return {
    step: (env, layer, message) => console.log(`${clock()} [${env}] ${layer.padEnd(8)} ${message}`),
    warn: (env, message) => console.log(`${clock()} [${env}] WARNING  ${message}`),
    passthrough: (line) => console.log(`    ${line}`),
  };
}

export const silentProgress: Progress = { step: () => undefined, warn: () => undefined, passthrough: () => undefined };

/**
 * Progress that holds its steps back until `release` shows them, for work that may be superseded
 * (a plan started before it is known to be wanted). Warnings are shown at once.
 */
export function heldProgress(progress: Progress): { readonly progress: Progress; release(): void } {
  const held: Array<[string, string, string]> = [];
  let released = false;
  return {
    progress: { ...progress, step: (env, layer, message) => (released ? progress.step(env, layer, message) : void held.push([env, layer, message])) },
    release: () => {
      released = true;
      held.splice(0).forEach(([env, layer, message]) => progress.step(env, layer, message));
    },
  };
}
