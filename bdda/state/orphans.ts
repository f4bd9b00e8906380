/**
 * Orphans: resources that carry an environment's tags (the provider's `default_tags`:
 * `environment=<path>`, `layer=flag|karr`) but are not in that layer's terraform state. A run
 * killed outright (SIGKILL) during apply leaves them: terraform had created them but not yet
 * written its state. Applying again would create them a second time (a second VPC) or fail on
 * their names (the flow-log group), so plan warns about them and apply refuses until they are
 * adopted (`npm run adopt`, bdda/adopt.ts) or deleted.
 *
 * The look-up is cheap when nothing is wrong: one Resource Groups Tagging API call for the whole
 * environment, plus one call for each kind that moto 5.2's tagging API does not return (EIPs,
 * VPC endpoints, launch templates, IAM roles). Describe calls follow only for orphans.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { LABEL, TERRAFORM_LAYERS, type TerraformLayer, terraformDirs } from '../layers/list';
import type { PlanContext } from '../workflow/plan-context';
import { parseTerraformState, resourceAddress } from './terraform-state';
import { BddaError } from '../../config/errors';
import { IMPORTS_FILE, type ImportBlock, layerImports, writeLayerImports } from './adoptions';
import { displayPath } from '../support/workspace';
import type { StateBackend } from './state-backend';
import type { AwsClients, Orphan } from './orphan-lookups';

/** A layer's synthesized terraform JSON, as far as orphans are concerned. */
export interface LayerCode {
  readonly resource?: Record<string, Record<string, { tags?: Record<string, unknown>; name?: unknown; [key: string]: unknown }>>;
}

export function readLayerCode(dir: string): LayerCode {
  return JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as LayerCode;
}

/** What a layer's state records: its resource addresses and every id and ARN in it. */
export interface LayerState {
  readonly addresses: ReadonlySet<string>;
  readonly ids: ReadonlySet<string>;
  /** The `id` attribute of each managed resource address. */
  readonly idOf: ReadonlyMap<string, string>;
}

async function readLayerState(backend: StateBackend, env: Environment, layer: TerraformLayer): Promise<LayerState> {
  const state = parseTerraformState(await backend.getObject(env.naming.stateKey(layer)));
  const addresses = new Set<string>();
  const ids = new Set<string>();
  const idOf = new Map<string, string>();
  for (const r of state.resources) {
    if (r.mode !== 'managed' || r.module) continue;
    const address = resourceAddress(r);
    addresses.add(address);
    for (const { attributes: attrs } of r.instances) {
      for (const key of ['id', 'arn', 'name', 'allocation_id', 'key_id']) {
        if (typeof attrs[key] === 'string' && attrs[key]) ids.add(attrs[key] as string);
      }
      if (typeof attrs.id === 'string') idOf.set(address, attrs.id);
    }
  }
  return { addresses, ids, idOf };
}

/**
 * Keeps the pending imports in step: drops those whose address is in the state already (applied)
 * or no longer in the code (terraform refuses an import to nowhere). Returns what is left.
 */
function pruneAdoptions(envDir: string, layer: TerraformLayer, workingDir: string, code: LayerCode, state: LayerState): readonly ImportBlock[] {
  const before = layerImports(envDir, layer);
  const left = before.filter((b) => !state.addresses.has(b.to) && addressInCode(code, b.to));
  if (left.length !== before.length) writeLayerImports(envDir, layer, left, workingDir);
  return left;
}

function addressInCode(code: LayerCode, address: string): boolean {
  const [type, ...rest] = address.split('.');
  return code.resource?.[type]?.[rest.join('.')] !== undefined;
}

export interface OrphanReport {
  /** Not in the state, not yet adopted. */
  readonly orphans: readonly Orphan[];
  /** Not in the state, but in the environment's pending imports: the next apply imports them. */
  readonly adopting: readonly Orphan[];
  readonly states: Readonly<Record<TerraformLayer, LayerState>>;
  readonly codes: Readonly<Record<TerraformLayer, LayerCode>>;
}

/**
 * Finds the orphans of both terraform layers. `dirs` are the layers' working directories, holding
 * the synthesized code; the environment's pending imports are pruned here of those already applied.
 */
export async function findOrphans(
  clients: AwsClients,
  backend: StateBackend,
  env: Environment,
  dirs: Readonly<Record<TerraformLayer, string>>,
): Promise<OrphanReport> {
  const states = {} as Record<TerraformLayer, LayerState>;
  const codes = {} as Record<TerraformLayer, LayerCode>;
  const pending = new Set<string>();
  for (const layer of TERRAFORM_LAYERS) {
    states[layer] = await readLayerState(backend, env, layer);
    codes[layer] = readLayerCode(dirs[layer]);
    for (const block of pruneAdoptions(env.dir, layer, dirs[layer], codes[layer], states[layer])) pending.add(block.id);
  }
  const lookups = await import('./orphan-lookups');
  const types = new Set(TERRAFORM_LAYERS.flatMap((l) => Object.keys(codes[l].resource ?? {})).filter((t) => lookups.DETECTABLE_TYPES.has(t)));
  const known = new Set(TERRAFORM_LAYERS.flatMap((l) => [...states[l].ids]));
  const tagged = await lookups.taggedResources(clients, env, types);
  const roles = types.has('aws_iam_role') ? await lookups.orphanRoles(clients, env, known) : [];
  const defaults = defaultNames(codes);
  const all = [...tagged.filter((r) => r.type !== 'aws_iam_role'), ...roles, ...tagged.filter((r) => r.type === 'aws_iam_role')];
  const seen = new Set<string>();
  const missing = all.filter((r) => {
    if (seen.has(r.arn) || known.has(r.id) || known.has(r.arn)) return false;
    seen.add(r.arn);
    // What AWS makes with every VPC (its main route table, default security group), tagged by
    // an aws_default_* resource: terraform takes it over on create, and it goes with its VPC.
    return !(r.name !== undefined && defaults.has(r.name) && !codeHasName(codes[r.layer], r.type, r.name));
  });
  const sort = (a: Orphan, b: Orphan) =>
    a.layer.localeCompare(b.layer) || a.type.localeCompare(b.type) || (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id);
  return {
    orphans: missing.filter((r) => !pending.has(r.id)).sort(sort),
    adopting: missing.filter((r) => pending.has(r.id)).sort(sort),
    states,
    codes,
  };
}

/** Name tags of the aws_default_* resources in the code. */
function defaultNames(codes: Readonly<Record<TerraformLayer, LayerCode>>): Set<string> {
  const names = new Set<string>();
  for (const code of Object.values(codes)) {
    for (const [type, byName] of Object.entries(code.resource ?? {})) {
      if (!type.startsWith('aws_default_')) continue;
      for (const r of Object.values(byName)) if (typeof r.tags?.Name === 'string') names.add(r.tags.Name);
    }
  }
  return names;
}

function codeHasName(code: LayerCode, type: string, name: string): boolean {
  return Object.values(code.resource?.[type] ?? {}).some((r) => r.tags?.Name === name);
}

/** `aws_vpc vpc-0abc (dev-dev2)`. */
export function describeOrphan(o: Orphan): string {
  return `${o.type} ${o.id}${o.name ? ` (${o.name})` : ''}`;
}

/** The command that adopts an environment's orphans. */
export function adoptCommand(env: Environment): string {
  return `npm run adopt -- --env ${env.naming.envPath}`;
}

/**
 * The check plan and apply run after synthesis: plan warns, apply (`refuse`) stops before
 * applying anything, since applying would create the orphans a second time. A look-up that fails
 * stops apply too (it fails closed: an unchecked apply could create them twice); plan only warns,
 * so that the look-up cannot hide what terraform has to say.
 */
export async function checkOrphans(ctx: PlanContext, opts: OrphanCheckOptions): Promise<void> {
  const { env, progress } = ctx;
  let report: OrphanReport;
  try {
    report = await (opts.lookUp ?? lookUpOrphans)(ctx);
  } catch (err) {
    const failed = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    if (opts.refuse) {
      throw new BddaError(
        `Could not look for resources of ${env.path} outside its terraform state: ${failed}. Apply does not go on unchecked, since a resource ` +
          `left by a killed run would be created a second time. Give the credentials that call's permission (or start the emulator again), ` +
          `then run apply again. Nothing was applied.`,
        { cause: err },
      );
    }
    progress.warn(env.path, `Could not look for resources outside the state (${failed}); plan goes on without that check, apply will not.`);
    return;
  }
  if (report.adopting.length > 0) {
    progress.step(
      env.path,
      'ADOPT',
      `${report.adopting.length} resource(s) outside the state will be imported by this plan (${displayPath(path.join(env.dir, IMPORTS_FILE))}).`,
    );
  }
  if (report.orphans.length === 0) return;
  const message = orphanMessage(env, report.orphans);
  if (opts.refuse) throw new BddaError(`${message} Nothing was applied.`);
  progress.warn(env.path, message);
}

export interface OrphanCheckOptions {
  /** Apply: orphans, or a look-up that fails, stop the run. Plan: they are warned about. */
  readonly refuse: boolean;
  /** Finds the orphans. @default the look-up in AWS (or the emulator) the environment's terraform uses */
  readonly lookUp?: (ctx: PlanContext) => Promise<OrphanReport>;
}

async function lookUpOrphans(ctx: PlanContext): Promise<OrphanReport> {
  const { AwsClients } = await import('./orphan-lookups');
  const clients = new AwsClients(ctx.env, ctx.target.terraformEnv);
  try {
    return await findOrphans(clients, ctx.target.backend, ctx.env, terraformDirs(ctx.synth));
  } finally {
    clients.destroy();
  }
}

function orphanMessage(env: Environment, orphans: readonly Orphan[]): string {
  const layers = [...new Set(orphans.map((o) => LABEL[o.layer]))].join(' and ');
  return (
    `${orphans.length} resource(s) carry the tags of ${env.path} but are not in ${layers}'s terraform state, most likely ` +
    `created by a run killed during apply: ${orphans.map(describeOrphan).join(', ')}. Applying now would create them ` +
    `a second time or fail on their names. Adopt them into the state with \`${adoptCommand(env)}\` ` +
    `(it writes terraform import blocks; what matches nothing in the code it offers to delete), then plan and apply.`
  );
}
