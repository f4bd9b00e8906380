/** The stage timings a run collects, for `--timings` and the bench. */

export interface StageTiming {
  readonly stage: string;
  /** Wall time of the stage. */
  readonly seconds: number;
  /** Of which inside terraform. */
  readonly engineSeconds: number;
}

export async function timed<T>(timings: StageTiming[], stage: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  timings.push({ stage, seconds: (Date.now() - started) / 1000, engineSeconds: 0 });
  return result;
}
