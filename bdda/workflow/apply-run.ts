/**
 * Carries out apply's decisions (apply-decision.ts) on one environment. It plans every layer and,
 * before applying anything, refuses a stale review (a layer plans differently, or the waivers
 * changed since the plan) and a plan the policy gate refuses (an error no waiver covers). Then it walks the layers in apply order, asks
 * the decision for each and acts on the answer: it applies the layer's plan file, plans the layer
 * again (with the layers that share the reason), or stops and writes a new diff for review. After
 * each step the diff files hold the layers neither applied nor skipped, each with its latest plan.
 *
 * It reaches the engines only through `ApplyPorts` (apply.ts gives it terraform and kubectl).
 */
import { BddaError } from '../../config/errors';
import type { Layer } from '../../config/naming';
import { type ChangesRecord, type LayerPlan, layerDigest } from '../diff/changes';
import { summaryLine, summaryWords } from '../diff/summary';
import type { PolicyRecord } from '../policy/record';
import { policyGate } from '../policy/report';
import type { Waivers } from '../policy/waivers';
import type { StateOutputs } from '../state/terraform-state';
import type { Progress } from '../support/progress';
import { type ApplyDecision, decideLayer, type PlanFacts, type ReviewMode } from './apply-decision';
import { changedOutputs } from './downstream';

export type ApplyOutcome = 'nothing-to-apply' | 'applied' | 'applied-more-to-review';

/** One layer, as the apply run drives it. */
export interface ApplyEngine {
  readonly layer: Layer;
  /** How messages name the layer, e.g. `FLAG`. */
  readonly label: string;
  /** The layer whose outputs it reads. @default none */
  readonly upstream?: Layer;
  /** Applies the plan file of the layer's latest plan. */
  apply(): Promise<void>;
  /** The outputs the layer gives the layers below, as now applied; undefined for a layer that has none. */
  outputs(): Promise<StateOutputs | undefined>;
  /** Why `real`, planned once the upstream was applied, is not the reviewed `preview`; undefined when it is. */
  previewDifference(preview: LayerPlan, real: LayerPlan): Promise<string | undefined>;
}

/** What the apply run acts through. */
export interface ApplyPorts {
  /** The environment's path, e.g. `dev/dev2`. */
  readonly envPath: string;
  readonly review: ReviewMode;
  /** changes.txt, as messages show its path. */
  readonly diffPath: string;
  /** The layers, in apply order. */
  readonly engines: readonly ApplyEngine[];
  readonly progress: Progress;
  /** Plans the layers of `only` (every layer when omitted), saving their plan files. */
  plan(only?: readonly Layer[]): Promise<LayerPlan[]>;
  /** The engines' versions, for the diff files. */
  versions(): Promise<Readonly<Record<string, string>>>;
  /** The environment's waivers, read as the run starts. */
  readonly waivers: Waivers;
  /** The policy results of `plans`, judged with `waivers`. */
  policy(plans: readonly LayerPlan[]): PolicyRecord;
  /** Writes the diff files of `plans` (with their policy results), or removes them when no plan has changes. */
  writeDiff(tools: Readonly<Record<string, string>>, plans: readonly LayerPlan[]): 'written' | 'removed';
}

/**
 * Applies the reviewed diff `reviewed`, adding each layer to `applied` once its apply went through
 * (the deployment record lists them, also when a later layer fails).
 */
export async function runApply(ports: ApplyPorts, reviewed: ChangesRecord, applied: Set<Layer>): Promise<ApplyOutcome> {
  // The reviewed results first, so that a refused diff costs no plan.
  policyCheck(ports, reviewed.policy);
  ports.progress.step(ports.envPath, 'VERIFY', 'planning every layer again to compare with the reviewed diff');
  const fresh = await ports.plan();
  return new ApplyRun(ports, reviewed, fresh, applied).run(reviewed.policy);
}

/** What the run knows of one layer; `decideLayer` reads it as `LayerFacts`. */
interface LayerState {
  readonly engine: ApplyEngine;
  /** Its section of changes.json; undefined once an earlier apply deployed it. */
  readonly reviewed?: ChangesRecord['layers'][number];
  /** The plan made before anything was applied. */
  readonly fresh: LayerPlan;
  /** The plan made again once its upstream was applied. */
  replan?: LayerPlan;
  previewDifference?: string;
  /** The outputs this layer's apply changed. */
  movedOutputs: readonly string[];
}

class ApplyRun {
  private readonly layers: LayerState[];
  private tools: Readonly<Record<string, string>> = {};

  constructor(
    private readonly ports: ApplyPorts,
    reviewed: ChangesRecord,
    fresh: readonly LayerPlan[],
    private readonly applied: Set<Layer>,
  ) {
    this.layers = ports.engines.map((engine) => ({
      engine,
      reviewed: reviewed.layers.find((l) => l.layer === engine.layer),
      fresh: planOf(fresh, engine.layer),
      movedOutputs: [],
    }));
  }

  async run(reviewedPolicy: PolicyRecord): Promise<ApplyOutcome> {
    const stale = this.layers.find((s) => this.decide(s).kind === 'refuse');
    if (stale) throw this.staleError(stale);
    // The rules again, on the plans about to be applied: the reviewed ones, unless the rules changed.
    policyCheck(this.ports, reviewedPolicy, this.ports.policy(this.layers.map((s) => s.fresh)));
    this.ports.progress.step(this.ports.envPath, 'POLICY', 'no error without a waiver');
    this.tools = await this.ports.versions();
    for (const layer of this.layers) {
      const stopped = await this.settle(layer);
      if (stopped) return stopped;
    }
    return this.allDeployed();
  }

  private decide(s: LayerState): ApplyDecision {
    const upstream = s.engine.upstream && this.stateOf(s.engine.upstream);
    return decideLayer({
      reviewed: s.reviewed && { status: s.reviewed.status, digest: s.reviewed.digest },
      fresh: facts(s.fresh),
      upstreamOutputsMoved: upstream ? upstream.movedOutputs.length > 0 : false,
      replan: s.replan && facts(s.replan),
      previewDifference: s.previewDifference,
      review: this.ports.review,
    });
  }

  /** Acts on the layer's decisions until it is applied or skipped (undefined) or the run stops (its outcome). */
  private async settle(s: LayerState): Promise<ApplyOutcome | undefined> {
    for (;;) {
      const decision = this.decide(s);
      switch (decision.kind) {
        case 'refuse':
          throw this.staleError(s);
        case 'skip':
          if (decision.why === 'preview-real-in-sync') {
            this.writeDiff();
            this.step(s, 'planned for real: no changes, so nothing to apply; its section left changes.txt');
          }
          return undefined;
        case 'review':
          return this.stop([s]);
        case 'apply':
          return this.apply(s, decision.plan);
        case 'plan-again':
          if (decision.why === 'waited') return this.planWaiting(s);
          if (decision.why === 'preview') {
            await this.planForReal(s);
          } else {
            const stopped = await this.planAgainAfterMove(this.stateOf(s.engine.upstream as Layer));
            if (stopped) return stopped;
          }
      }
    }
  }

  /** Applies the layer's latest plan; then, if its outputs moved, plans the layers reading them again. */
  private async apply(s: LayerState, plan: Extract<ApplyDecision, { kind: 'apply' }>['plan']): Promise<ApplyOutcome | undefined> {
    const { engine } = s;
    if (plan === 'preview-real') {
      // The real plan takes the preview's place: if its apply fails, the next apply verifies against it.
      this.writeDiff();
      this.step(s, 'the real plan makes the changes of the reviewed preview; applying it');
    }
    this.step(s, `applying (${summaryWords(latest(s))})`);
    const started = Date.now();
    // The saved plans of the layers below hold this layer's outputs as they are now; see downstream.ts.
    const before = await engine.outputs();
    await engine.apply();
    this.applied.add(engine.layer);
    this.writeDiff();
    this.step(s, `applied (${((Date.now() - started) / 1000).toFixed(1)}s); its section left changes.txt`);
    const after = before && (await engine.outputs());
    s.movedOutputs = before && after ? changedOutputs(before, after) : [];
    return s.movedOutputs.length > 0 ? this.planAgainAfterMove(s) : undefined;
  }

  /** Plans a previewed layer for real, its upstream being applied now, and asks its engine how it compares. */
  private async planForReal(s: LayerState): Promise<void> {
    const upstream = this.stateOf(s.fresh.preview?.upstream ?? (s.engine.upstream as Layer));
    this.step(s, `planning for real now that ${upstream.engine.label} is applied, to compare with the reviewed preview`);
    s.replan = planOf(await this.ports.plan([s.engine.layer]), s.engine.layer);
    s.previewDifference = await s.engine.previewDifference(s.fresh, s.replan);
  }

  /** Plans the layers that waited for their upstream, from `first` on, for review, and stops. */
  private async planWaiting(first: LayerState): Promise<ApplyOutcome> {
    const waiting = this.layers.slice(this.layers.indexOf(first)).filter((s) => planAgainFor(this.decide(s), 'waited'));
    const plans = await this.ports.plan(waiting.map((s) => s.engine.layer));
    for (const s of waiting) s.replan = planOf(plans, s.engine.layer);
    return this.stop(waiting.filter((s) => this.decide(s).kind === 'review'));
  }

  /** Plans again the layers whose saved plans hold `upstream`'s old outputs; stops if any is no longer the reviewed plan. */
  private async planAgainAfterMove(upstream: LayerState): Promise<ApplyOutcome | undefined> {
    const readers = this.layers.filter((s) => s.engine.upstream === upstream.engine.layer && planAgainFor(this.decide(s), 'outputs-moved'));
    if (readers.length === 0) return undefined;
    const moved = upstream.movedOutputs;
    const listed = moved.length > 4 ? `${moved.slice(0, 4).join(', ')} and ${moved.length - 4} more` : moved.join(', ');
    this.step(upstream, `outputs changed (${listed}); planning ${labels(readers)} again, since a saved plan keeps the old ones`);
    const plans = await this.ports.plan(readers.map((s) => s.engine.layer));
    for (const s of readers) s.replan = planOf(plans, s.engine.layer);
    const differing = readers.filter((s) => this.decide(s).kind === 'review');
    return differing.length > 0 ? this.stop(differing) : undefined;
  }

  /** Writes the diff, with the latest plans of `stopping`, and says why apply stops before them. */
  private stop(stopping: readonly LayerState[]): ApplyOutcome {
    if (this.writeDiff() === 'removed') return this.allDeployed();
    this.ports.progress.step(this.ports.envPath, 'APPLY', this.stopMessage(stopping));
    return 'applied-more-to-review';
  }

  private stopMessage(stopping: readonly LayerState[]): string {
    const [first] = stopping;
    const decision = this.decide(first);
    if (decision.kind !== 'review') throw new Error(`apply stopped before ${first.engine.label}, which is not for review (${decision.kind})`);
    const { label } = first.engine;
    const names = labels(stopping);
    const several = stopping.length > 1;
    const next = 'Review the new diff in changes.txt, commit it, and run apply again.';
    switch (decision.why) {
      case 'per-layer':
      case 'preview-differs':
        return (
          `stopped before ${label}: ${decision.reason}. Nothing of ${label} was applied. ` +
          `Its real diff is now in ${this.ports.diffPath}: review it, commit it, and run apply again.`
        );
      case 'waited': {
        const verb = several ? 'were' : 'was';
        return `stopped: ${names} ${verb} waiting for the layer just applied and ${verb} planned now. ${next}`;
      }
      case 'outputs-moved': {
        const upstream = this.stateOf(first.engine.upstream as Layer).engine.label;
        const [verb, has] = several ? ['differ', 'have'] : ['differs', 'has'];
        return `stopped: ${upstream}'s outputs changed, and ${names}, planned again against them, now ${verb} from the reviewed diff, so ${names} ${has} not been applied. ${next}`;
      }
    }
  }

  private allDeployed(): ApplyOutcome {
    this.ports.progress.step(this.ports.envPath, 'APPLY', 'every layer is deployed; changes.txt and changes.json were removed');
    return 'applied';
  }

  /** Writes the layers neither applied nor skipped, each with its latest plan. */
  private writeDiff(): 'written' | 'removed' {
    const pending = this.layers.filter((s) => !this.applied.has(s.engine.layer) && this.decide(s).kind !== 'skip');
    return this.ports.writeDiff(this.tools, pending.map(latest));
  }

  private staleError(s: LayerState): BddaError {
    const { envPath } = this.ports;
    const { label } = s.engine;
    const was = s.reviewed ? s.reviewed.summary : summaryLine(label, { status: 'no-changes', counts: {} });
    return new BddaError(
      `The reviewed diff of ${envPath} is stale: ${label} now plans differently from what changes.txt shows ` +
        `(reviewed: "${was}", now: "${s.fresh.summary}"). Someone applied, the infrastructure drifted, or the config changed since the plan. ` +
        `Nothing was applied. Run \`npm run plan -- --env ${envPath}\`, review the new diff, and apply that.`,
    );
  }

  private step(s: LayerState, message: string): void {
    this.ports.progress.step(this.ports.envPath, s.engine.label, message);
  }

  private stateOf(layer: Layer): LayerState {
    const found = this.layers.find((s) => s.engine.layer === layer);
    if (!found) throw new Error(`${layer} is not among the layers apply was given`);
    return found;
  }
}

/**
 * Refuses a review judged with other waivers than those of now, and any error of the policy
 * results (`judged`, else the reviewed ones) that no waiver covers.
 */
function policyCheck(ports: ApplyPorts, reviewed: PolicyRecord, judged: PolicyRecord = reviewed): void {
  const { envPath, waivers } = ports;
  const replan = `Nothing was applied. Run \`npm run plan -- --env ${envPath}\`, review the new diff and its POLICY section, and apply that.`;
  if (reviewed.waivers.digest !== waivers.digest) {
    throw new BddaError(
      `The reviewed diff of ${envPath} is stale: ${waivers.file} changed since the plan, so the POLICY section of changes.txt was judged with other waivers than those of now. ${replan}`,
    );
  }
  const { message } = policyGate(judged.results, waivers);
  if (message) throw new BddaError(`${message} ${replan}`);
}

function planAgainFor(decision: ApplyDecision, why: Extract<ApplyDecision, { kind: 'plan-again' }>['why']): boolean {
  return decision.kind === 'plan-again' && decision.why === why;
}

function facts(plan: LayerPlan): PlanFacts {
  return { status: plan.status, digest: layerDigest(plan) };
}

function latest(s: LayerState): LayerPlan {
  return s.replan ?? s.fresh;
}

function labels(states: readonly LayerState[]): string {
  return states.map((s) => s.engine.label).join(' and ');
}

function planOf(plans: readonly LayerPlan[], layer: Layer): LayerPlan {
  const plan = plans.find((p) => p.layer === layer);
  if (!plan) throw new Error(`the plan of ${layer} is missing from what the planner returned`);
  return plan;
}
