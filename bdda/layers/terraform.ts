/**
 * The terraform engine, for FLAG and KARR: `terraform plan` into a saved plan file, `terraform
 * apply` of exactly that file, a destroy plan for `destroy`, outputs read from the layer's state
 * in the state bucket. Its pre-flight check looks for resources outside the state (orphans).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Layer } from '../../config/naming';
import { type LayerPlan, layerPlan } from '../diff/changes';
import { deprecationWarnings, reviewablePlanText } from '../diff/plan-text';
import { placeholderValues, renderPlaceholders } from '../diff/placeholders';
import { actionDifference, valueDifference } from '../diff/preview-match';
import { summaryWords } from '../diff/summary';
import { type PlannedOutput, plannedOutputsOf, type TerraformPlanJson, typedPlanOf } from '../diff/terraform-plan-json';
import { EMPTY_PLAN } from '../diff/typed-plan';
import { syncEmulatorOverride } from '../engines/emulator-override';
import { Terraform, type TerraformVersion } from '../engines/terraform';
import { tools } from '../engines/tools';
import { checkOrphans } from '../state/orphans';
import { copyImportsToWorkingDir, layerImports, writeLayerImports } from '../state/adoptions';
import { recoverOwnStateLock } from '../state/terraform-lock-recovery';
import { parseTerraformState, type StateOutputs } from '../state/terraform-state';
import type { PlanContext } from '../workflow/plan-context';
import { type DestroyPlan, type EngineLock, type LayerEngine, PreviewUnavailable, type UpstreamForPreview } from './engine';
import { planPreview } from './terraform-preview';
import { terraformDir } from '../workflow/synth-output';

export interface TerraformLayerOptions {
  readonly layer: Layer;
  readonly label: string;
  /** The layer whose outputs this one reads through `terraform_remote_state`. @default none */
  readonly upstream?: Layer;
}

export class TerraformLayerEngine implements LayerEngine {
  readonly layer: Layer;
  readonly label: string;
  readonly upstream?: Layer;
  readonly planEngine = 'terraform plan';
  readonly waitsForUpstream = true;
  readonly preflight = checkOrphans;

  constructor(opts: TerraformLayerOptions) {
    this.layer = opts.layer;
    this.label = opts.label;
    this.upstream = opts.upstream;
  }

  /** The orphan check prunes the pending imports, whose import blocks terraform plans. */
  preflightBlocksPlan(ctx: PlanContext): boolean {
    return layerImports(ctx.env.dir, this.layer).length > 0;
  }

  /**
   * Before anything runs in the directory: points terraform at the emulator, or not, and gives it
   * the environment's pending imports of this layer (environments/<env>/imports.json).
   */
  prepare(ctx: PlanContext): void {
    syncEmulatorOverride(this.dir(ctx), ctx.env.config.emulated);
    copyImportsToWorkingDir(ctx.env.dir, this.layer, this.dir(ctx));
  }

  /** The layer's terraform working directory. */
  dir(ctx: PlanContext): string {
    return terraformDir(ctx.synth, this.layer);
  }

  /** The terraform runner in the layer's directory (or, for a preview, in `dir` with `env` added). */
  terraform(ctx: PlanContext, dir = this.dir(ctx), env: Readonly<Record<string, string>> = {}): Terraform {
    return new Terraform({
      binary: tools().terraform,
      dir,
      env: { ...ctx.target.terraformEnv, ...env },
      credentialsHint: ctx.target.credentialsHint,
      unlockHint: `npm run unlock -- --env ${ctx.env.path} --yes`,
      recoverStateLock: (forceUnlock) => recoverOwnStateLock(ctx, this.layer, this.dir(ctx), forceUnlock),
    });
  }

  /** The saved plan, in the layer's git-ignored working directory. */
  planFile(ctx: PlanContext): string {
    return path.join(this.dir(ctx), `${this.layer}.tfplan`);
  }

  plan(ctx: PlanContext): Promise<LayerPlan> {
    return this.runPlan(ctx, false);
  }

  /** Plans the layer against the upstream's planned outputs; see terraform-preview.ts. */
  async preview(ctx: PlanContext, upstream: UpstreamForPreview): Promise<LayerPlan> {
    const { engine } = upstream;
    if (upstream.plan.status !== 'changes' || !engine.plannedOutputs) {
      throw new PreviewUnavailable(`${engine.label} has no saved plan of its own in this run to read planned outputs from`);
    }
    const started = Date.now();
    const tf = this.terraform(ctx);
    ctx.progress.step(ctx.env.path, this.label, `previewing against ${engine.label}'s planned outputs`);
    const [upstreamOutputs] = await Promise.all([engine.plannedOutputs(ctx), tf.init()]);
    const run = await planPreview({
      dir: this.dir(ctx),
      upstream: engine.layer,
      upstreamStateKey: ctx.env.naming.stateKey(engine.layer),
      upstreamOutputs,
      terraform: (dir, env) => this.terraform(ctx, dir, env),
    });
    ctx.timings.push({ stage: `preview ${this.layer}`, seconds: (Date.now() - started) / 1000, engineSeconds: run.seconds });
    const plan = this.layerPlan(ctx, run, this.planEngine, (body) => renderPlaceholders(body, engine.label));
    return { ...plan, preview: { upstream: engine.layer, placeholders: run.placeholders } };
  }

  /**
   * The same actions, and for each resource the same values after apply wherever the preview knew
   * them, each placeholder taken as the real value of the upstream output it stood for.
   */
  previewDifference(preview: LayerPlan, real: LayerPlan, upstream: { readonly label: string; readonly outputs?: StateOutputs }): string | undefined {
    const basis = preview.preview;
    const values = basis ? placeholderValues(basis.upstream, basis.placeholders, upstream.outputs ?? {}) : new Map<string, string>();
    return actionDifference(preview, real) ?? valueDifference(preview.plan, real.plan, values);
  }

  /** The outputs as this run's saved plan leaves them: from the `show -json` its plan ran, else one of its own. */
  async plannedOutputs(ctx: PlanContext): Promise<Record<string, PlannedOutput>> {
    const file = this.planFile(ctx);
    const shown = shownPlan(file) ?? (await this.terraform(ctx).showPlan(file)).plan;
    const applied = await this.outputs(ctx);
    const planned: Record<string, PlannedOutput> = Object.fromEntries(
      Object.entries(applied).map(([name, out]) => [name, { value: out.value, unknown: false, sensitive: out.sensitive === true }]),
    );
    return { ...planned, ...plannedOutputsOf(shown) };
  }

  async apply(ctx: PlanContext): Promise<void> {
    await this.terraform(ctx).apply(this.planFile(ctx), ctx.progress.passthrough);
    // Its imports are in the state now; never before this point, or a failed apply would lose them.
    if (layerImports(ctx.env.dir, this.layer).length > 0) writeLayerImports(ctx.env.dir, this.layer, [], this.dir(ctx));
  }

  async planDestroy(ctx: PlanContext): Promise<DestroyPlan> {
    const state = await ctx.target.backend.getObject(ctx.env.naming.stateKey(this.layer));
    if (state === undefined) return { layer: this.layer, deployed: false, listing: '', progressNote: '' };
    const plan = await this.runPlan(ctx, true);
    const goes = plan.plan.changes.filter((c) => c.action === 'delete').map((c) => `  - ${c.address}${c.deposed ? ` (deposed ${c.deposed})` : ''}`);
    return {
      layer: this.layer,
      deployed: plan.status !== 'no-changes',
      listing: [`  ${plan.summary}`, ...goes].join('\n'),
      progressNote: `destroying (${summaryWords(plan)})`,
    };
  }

  /** Applies the destroy plan `planDestroy` saved. */
  async destroy(ctx: PlanContext): Promise<void> {
    await this.terraform(ctx).apply(this.planFile(ctx), ctx.progress.passthrough);
  }

  async outputs(ctx: PlanContext): Promise<StateOutputs> {
    return parseTerraformState(await ctx.target.backend.getObject(ctx.env.naming.stateKey(this.layer))).outputs;
  }

  async versions(ctx: PlanContext): Promise<Readonly<Record<string, string>>> {
    const binary = tools().terraform;
    let asked = versionCache.get(binary);
    if (!asked) {
      asked = this.terraform(ctx).version();
      versionCache.set(binary, asked);
    }
    const version = await asked;
    // Before init no provider is selected; ask again next time rather than keep that answer.
    if (Object.keys(version.providers).length === 0) versionCache.delete(binary);
    const name = path.basename(binary).includes('tofu') ? 'tofu' : 'terraform';
    const providers = Object.entries(version.providers).map(([source, v]) => [source.replace(/^registry\.(terraform|opentofu)\.io\//, ''), v]);
    return { [name]: version.terraform, ...Object.fromEntries(providers) };
  }

  async locks(ctx: PlanContext): Promise<EngineLock[]> {
    const lock = await ctx.target.backend.terraformLockInfo(ctx.env.naming.stateKey(this.layer));
    return lock ? [{ id: lock.id, description: `${this.label}'s state lock ${lock.id}, held by ${lock.who} (${lock.operation}, since ${lock.created})` }] : [];
  }

  async breakLock(ctx: PlanContext, lock: EngineLock): Promise<void> {
    const tf = this.terraform(ctx);
    await tf.init();
    await tf.forceUnlock(lock.id);
  }

  private async runPlan(ctx: PlanContext, destroy: boolean): Promise<LayerPlan> {
    const { layer, label } = this;
    const started = Date.now();
    const tf = this.terraform(ctx);
    ctx.progress.step(ctx.env.path, label, 'init');
    const init = await tf.init();
    ctx.timings.push({ stage: `init ${layer}`, seconds: init.seconds, engineSeconds: init.seconds });
    ctx.progress.step(ctx.env.path, label, init.skipped ? 'init reused' : `init done (${init.seconds.toFixed(1)}s)`);
    const planStarted = Date.now();
    const file = this.planFile(ctx);
    const plan = await tf.planWithData(file, { destroy });
    rememberShown(file, plan.shown);
    ctx.timings.push({ stage: `plan ${layer}`, seconds: (Date.now() - planStarted) / 1000, engineSeconds: plan.seconds });
    const layerPlan = this.layerPlan(ctx, plan, destroy ? 'terraform plan -destroy' : this.planEngine);
    ctx.progress.step(ctx.env.path, label, `${summaryWords(layerPlan)}. (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    return layerPlan;
  }

  /**
   * The layer's plan: the typed plan from `show -json`, and plan's own text for people; `render`
   * rewrites that text (a preview's placeholders).
   */
  private layerPlan(
    ctx: PlanContext,
    plan: { text: string; changes: boolean; shown?: TerraformPlanJson },
    engine: string,
    render = (body: string) => body,
  ): LayerPlan {
    this.warnOnce(ctx, deprecationWarnings(plan.text));
    return layerPlan({
      layer: this.layer,
      label: this.label,
      engine,
      status: plan.changes ? 'changes' : 'no-changes',
      body: render(reviewablePlanText(plan.text)),
      plan: plan.shown ? typedPlanOf(plan.shown) : EMPTY_PLAN,
      removal: 'destroy',
    });
  }

  /** Deprecation warnings stay out of the reviewed diff; they are shown here, once per run and text. */
  private warnOnce(ctx: PlanContext, warnings: readonly string[]): void {
    for (const warning of warnings) {
      const key = `${ctx.env.path} ${this.layer} ${warning}`;
      if (warned.has(key)) continue;
      warned.add(key);
      ctx.progress.warn(ctx.env.path, `${this.label}: terraform warns (left out of changes.txt): ${warning}`);
    }
  }
}

const warned = new Set<string>();

// The last `show -json` of each saved plan file, with the file's modification time: the planned
// outputs read it instead of loading the providers again. It holds unmasked values; it is never written.
const shownPlans = new Map<string, { mtimeMs: number; plan: TerraformPlanJson }>();

function rememberShown(file: string, plan: TerraformPlanJson | undefined): void {
  const key = path.resolve(file);
  if (plan) shownPlans.set(key, { mtimeMs: fs.statSync(file).mtimeMs, plan });
  else shownPlans.delete(key);
}

function shownPlan(file: string): TerraformPlanJson | undefined {
  const found = shownPlans.get(path.resolve(file));
  return found && fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs === found.mtimeMs ? found.plan : undefined;
}
const versionCache = new Map<string, Promise<TerraformVersion>>();
