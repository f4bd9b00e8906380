/**
 * The engine of one layer of the cake. Plan, apply and destroy loop over the layers' engines in
 * order (bdda/layers/index.ts) and know nothing else about a layer: what plans it, what applies
 * it, what it reads and what it gives the layers below.
 */
import { BddaError } from '../../config/errors';
import type { Layer } from '../../config/naming';
import type { LayerPlan } from '../diff/changes';
import type { PlannedOutput } from '../diff/terraform-plan-json';
import type { StateOutputs } from '../state/terraform-state';
import type { PlanContext } from '../workflow/plan-context';

/** What `destroy` shows before asking, and then destroys. */
export interface DestroyPlan {
  readonly layer: Layer;
  /** False when nothing of the layer is deployed. */
  readonly deployed: boolean;
  /** The lines listed for confirmation, indented: a summary line, then what goes; empty for nothing. */
  readonly listing: string;
  /** The progress line while it goes, e.g. `destroying (0 to add, 0 to change, 26 to destroy)`. */
  readonly progressNote: string;
}

/** The upstream a preview is planned against: its plan in this run, and how its state stands. */
export interface UpstreamForPreview {
  readonly engine: LayerEngine;
  /** The upstream's plan in this run: changes, or a preview or a wait of its own. */
  readonly plan: LayerPlan;
  /** Whether the upstream has been applied at least once (its state records outputs). */
  readonly applied: boolean;
}

/** Why a layer cannot be previewed; the layer then waits for its upstream, with this reason. */
export class PreviewUnavailable extends BddaError {
  constructor(reason: string) {
    super(reason);
    this.name = 'PreviewUnavailable';
  }
}

/** A lock the layer's engine holds on its own state, e.g. terraform's state lock. */
export interface EngineLock {
  readonly id: string;
  readonly description: string;
}

export interface LayerEngine {
  readonly layer: Layer;
  /** `FLAG`, `KARR`, `GOLIATH`: how messages and changes.txt name the layer. */
  readonly label: string;
  /** The layer whose outputs this one reads; it waits for that layer's state when `waitsForUpstream`. */
  readonly upstream?: Layer;
  /** What produces the diff, as changes.txt names it, e.g. `terraform plan`. */
  readonly planEngine: string;
  /** Whether the layer cannot be planned before its upstream has outputs (a real engine reading them). */
  readonly waitsForUpstream: boolean;

  /** Plans the layer against what is deployed; its upstream is known to be there when it waits for one. */
  plan(ctx: PlanContext): Promise<LayerPlan>;
  /** Applies the plan just made by `plan` (a saved plan file, or the chart as planned). */
  apply(ctx: PlanContext): Promise<void>;
  /** What destroying the layer removes. */
  planDestroy(ctx: PlanContext): Promise<DestroyPlan>;
  /** Removes everything `planDestroy` listed. */
  destroy(ctx: PlanContext): Promise<void>;
  /** The outputs the layer gives the layers below, as now applied; undefined for a layer that has none. */
  outputs(ctx: PlanContext): Promise<StateOutputs | undefined>;
  /** The versions of the tools this engine ran, for changes.json, e.g. `{ terraform: '1.11.4' }`. */
  versions(ctx: PlanContext): Promise<Readonly<Record<string, string>>>;

  /**
   * Plans the layer against what its upstream will be once applied (see bdda/workflow/preview.ts),
   * returning a plan of status `changes` or `no-changes` that is shown and never applied. Throws
   * `PreviewUnavailable` when it cannot. @default the layer waits for its upstream instead
   */
  preview?(ctx: PlanContext, upstream: UpstreamForPreview): Promise<LayerPlan>;
  /**
   * Why `real`, the layer's plan once its upstream was applied, is not the reviewed `preview`;
   * undefined when it is. `upstream` gives the upstream's label and its outputs as now applied.
   * @default the same addresses with the same actions (bdda/diff/preview-match.ts)
   */
  previewDifference?(preview: LayerPlan, real: LayerPlan, upstream: { readonly label: string; readonly outputs?: StateOutputs }): string | undefined;
  /**
   * The outputs as the layer's plan in this run leaves them, for previews of the layers below.
   * @default none: the layers below cannot be previewed through outputs
   */
  plannedOutputs?(ctx: PlanContext): Promise<Readonly<Record<string, PlannedOutput>>>;
  /** Readies the layer's synthesized output for the engine, right after synthesis. */
  prepare?(ctx: PlanContext): void;
  /**
   * A check run once before planning (`refuse: false`, it warns) and before applying
   * (`refuse: true`, it stops the apply). Engines sharing one check give the same function, which
   * then runs once.
   */
  readonly preflight?: (ctx: PlanContext, opts: { refuse: boolean }) => Promise<void>;
  /**
   * Whether plan must let the pre-flight check finish before planning, because the check edits
   * what the engine reads. Otherwise plan runs the check beside its plans: at plan it only warns,
   * and its look-ups need not delay the first plan.
   * @default true
   */
  preflightBlocksPlan?(ctx: PlanContext): boolean;
  /** The locks the engine holds on the layer's state, for `unlock`. */
  locks?(ctx: PlanContext): Promise<EngineLock[]>;
  /** Breaks a lock listed by `locks`. */
  breakLock?(ctx: PlanContext, lock: EngineLock): Promise<void>;
}
