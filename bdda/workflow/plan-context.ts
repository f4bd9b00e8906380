/**
 * What one run on one environment holds (built by \`withContext\`, context.ts). Its own module, of
 * types only, so that the layer engines can name it without importing the workflow.
 */
import type { Environment } from '../../config/load';
import type { Target } from '../engines/target';
import type { HeldLock } from '../state/apply-lock';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import type { SynthOutput } from './synth-output';
import type { StageTiming } from './timing';

export interface PlanContext {
  readonly ws: Workspace;
  readonly env: Environment;
  readonly target: Target;
  readonly synth: SynthOutput;
  readonly progress: Progress;
  readonly timings: StageTiming[];
  /** When the run began: terraform state locks created before it are not this run's. @default unknown, so none is */
  readonly startedAt?: Date;
  /** The apply lock this run holds (apply and destroy). */
  readonly applyLock?: HeldLock;
}
