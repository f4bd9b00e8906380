/**
 * `npm run verify`: the release test, from scratch. A throwaway emulated environment, a sibling
 * of a template leaf with the same config and a unique name (so its own prefix and state keys),
 * is planned, applied through the same apply code path as any environment, planned again (it
 * must be in sync), smoke-checked, destroyed in reverse order, and searched for leftovers.
 *
 * It runs in a scratch copy of `environments/`, so the checkout is never touched; it shares the
 * checkout's emulator.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { applyEnvironment } from '../workflow/apply';
import { EMULATOR_CREDENTIALS } from '../engines/aws-env';
import { readChanges } from '../diff/changes';
import { CONFIG_FILE, type Environment, ENVIRONMENTS_DIR, listEnvironments, loadEnvironment } from '../../config/load';
import { environmentsNamed } from '../../config/tiers';
import { destroyEnvironment } from '../workflow/destroy';
import { ensureEmulator, shareEmulator, stopEmulator } from '../engines/emulator';
import { BddaError } from '../../config/errors';
import { stateOutputs } from '../state/terraform-state';
import { diffManifests } from '../diff/kubernetes-diff';
import { planEnvironment } from '../workflow/plan';
import type { Progress } from '../support/progress';
import { StateBackend } from '../state/state-backend';
import { environmentBuildDir, type Workspace, workspace } from '../support/workspace';
import { manifestFile } from '../workflow/synth-output';
import { ENVIRONMENT_TAG } from '../../config/tags';
import { FLAG_OUTPUTS } from '../../config/layer-inputs';

export interface VerifyOptions {
  /** The leaf whose config the throwaway environment copies. @default the first leaf of the dev tier */
  readonly template?: string;
  /** On failure, leave the environment and its scratch copy for inspection. @default false */
  readonly keep?: boolean;
  /**
   * FLAG outputs the smoke check requires besides the standard ones. A name FLAG does not have
   * makes the check fail: the test hook that proves a failing verify still tears down.
   */
  readonly expectFlagOutputs?: readonly string[];
  /** Apply rounds before giving up (a fresh environment's apply stops once per waiting layer). @default 4 */
  readonly maxApplyRounds?: number;
  /** Where phase lines go. @default console.log */
  readonly log?: (line: string) => void;
}

interface PhaseResult {
  readonly phase: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly detail: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly envPath: string;
  readonly phases: readonly PhaseResult[];
}

/** The outputs FLAG declares for KARR; a FLAG state without them is not a usable network. */
const STANDARD_FLAG_OUTPUTS = Object.values(FLAG_OUTPUTS).map((output) => output.name);

export async function verifyRelease(ws: Workspace, opts: VerifyOptions, progress: Progress): Promise<VerifyResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const template = loadEnvironment(ws.root, opts.template ?? firstLeafOf(ws.root, 'dev'));
  if (!template.config.emulated || template.config.protected) {
    throw new BddaError(
      `verify builds its throwaway environment on the emulator; the template ${template.path} is ${template.config.protected ? 'protected' : 'not emulated'}. Pass --template with an emulated environment, e.g. --template dev1.`,
    );
  }
  const scratch = makeScratchCopy(ws, template);
  const sws: Workspace = { ...ws, root: scratch.root, buildDir: path.join(scratch.root, 'build') };
  const env = loadEnvironment(sws.root, scratch.envPath);
  log(`verify: throwaway environment ${env.path} (config of ${template.path}) in ${scratch.root}`);

  // An emulator this run starts is stopped at the end; one that was running stays, as it was.
  const emulator = await ensureEmulator(ws.emulatorDir);
  const phases: PhaseResult[] = [];
  const phase = async (name: string, fn: () => Promise<string>): Promise<boolean> => {
    const started = Date.now();
    let result: PhaseResult;
    try {
      result = { phase: name, ok: true, seconds: (Date.now() - started) / 1000, detail: await fn() };
      result = { ...result, seconds: (Date.now() - started) / 1000 };
    } catch (err) {
      result = { phase: name, ok: false, seconds: (Date.now() - started) / 1000, detail: (err as Error).message.split('\n')[0] };
    }
    phases.push(result);
    log(`verify: ${name.padEnd(11)} ${result.ok ? 'ok  ' : 'FAIL'} ${result.seconds.toFixed(1).padStart(6)}s  ${result.detail}`);
    return result.ok;
  };
  const guards = { yes: true, interactive: false };

  const built =
    (await phase('plan', async () => summaries(await planEnvironment(sws, env, progress)))) &&
    (await phase('apply', () => applyUntilDeployed(sws, env, guards, progress, opts.maxApplyRounds ?? 4))) &&
    (await phase('idempotent', async () => {
      const again = await planEnvironment(sws, env, progress);
      const changed = again.layers.filter((l) => l.status !== 'no-changes');
      if (changed.length > 0) throw new BddaError(`a plan right after apply is not empty: ${changed.map((l) => l.summary).join(' ')}`);
      return 'a second plan shows no change in any layer';
    })) &&
    (await phase('smoke', () => smokeChecks(sws, env, opts.expectFlagOutputs ?? [])));

  if (!built && opts.keep) {
    // The kept copy's own commands (its destroy) must find this run's emulator, which keeps running.
    shareEmulator(ws.emulatorDir, workspace(scratch.root).emulatorDir);
    log(
      `verify: FAILED; kept ${env.path} (--keep). Inspect it with BDDA_ROOT=${scratch.root}, and remove it with \`BDDA_ROOT=${scratch.root} npm run destroy -- --env ${env.path} --yes\`.`,
    );
    return { ok: false, envPath: env.path, phases };
  }
  await phase('destroy', async () => `${await destroyEnvironment(sws, env, guards, progress)}; ${await forgetLedger(sws, env)}`);
  await phase('leftovers', () => assertNothingLeft(sws, env));
  fs.rmSync(scratch.root, { recursive: true, force: true });
  if (emulator.fresh) await stopEmulator(ws.emulatorDir);
  const ok = phases.every((p) => p.ok);
  const total = phases.reduce((s, p) => s + p.seconds, 0);
  log(
    `verify: ${ok ? 'PASSED' : 'FAILED'}: ${env.path} built from scratch, checked and removed in ${total.toFixed(1)}s${
      ok
        ? ''
        : ` (failed: ${phases
            .filter((p) => !p.ok)
            .map((p) => p.phase)
            .join(', ')})`
    }`,
  );
  return { ok, envPath: env.path, phases };
}

function firstLeafOf(root: string, tier: string): string {
  const named = environmentsNamed(listEnvironments(root), tier);
  const leaf = named.tier ? named.leaves[0] : undefined;
  if (!leaf) throw new BddaError(`verify needs a template environment: the ${tier} tier has none. Pass --template <environment>.`);
  return leaf.path;
}

/** A scratch copy of environments/ with a new leaf beside the template, named uniquely. */
function makeScratchCopy(ws: Workspace, template: Environment): { root: string; envPath: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-verify-'));
  fs.cpSync(path.join(ws.root, ENVIRONMENTS_DIR), path.join(root, ENVIRONMENTS_DIR), { recursive: true, filter: (src) => !/changes\.(txt|json)$/.test(src) });
  const name = `verify-${Date.now().toString(36)}${process.pid.toString(36)}`;
  const envPath = [...template.path.split('/').slice(0, -1), name].join('/');
  fs.mkdirSync(path.join(root, ENVIRONMENTS_DIR, envPath));
  fs.copyFileSync(path.join(template.dir, CONFIG_FILE), path.join(root, ENVIRONMENTS_DIR, envPath, CONFIG_FILE));
  return { root, envPath };
}

function summaries(plan: { layers: ReadonlyArray<{ summary: string }> }): string {
  return plan.layers.map((l) => l.summary).join(' ');
}

/** Apply, then apply the diff it wrote for the layers that were waiting, until nothing is left. */
async function applyUntilDeployed(
  ws: Workspace,
  env: Environment,
  guards: { yes: boolean; interactive: boolean },
  progress: Progress,
  rounds: number,
): Promise<string> {
  for (let round = 1; round <= rounds; round++) {
    const outcome = await applyEnvironment(ws, env, guards, progress);
    if (outcome !== 'applied-more-to-review') return `every layer deployed in ${round} apply round(s)`;
    if (!readChanges(env.dir)) throw new BddaError('apply asked for another review round but wrote no diff');
  }
  throw new BddaError(
    `still not deployed after ${rounds} apply rounds: ${readChanges(env.dir)
      ?.record.layers.map((l) => l.summary)
      .join(' ')}`,
  );
}

interface Clients {
  readonly backend: StateBackend;
  readonly eks: EKSClient;
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  close(): void;
}

async function emulatorClients(ws: Workspace, env: Environment): Promise<Clients> {
  const { endpoint } = await ensureEmulator(ws.emulatorDir);
  const common = { region: env.config.aws.region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } };
  const backend = new StateBackend({ ...env.config.backend, endpoint });
  const eks = new EKSClient(common);
  const ec2 = new EC2Client(common);
  const iam = new IAMClient(common);
  return {
    backend,
    eks,
    ec2,
    iam,
    close: () => [backend, eks, ec2, iam].forEach((c) => c.destroy()),
  };
}

async function withClients<T>(ws: Workspace, env: Environment, fn: (c: Clients) => Promise<T>): Promise<T> {
  const clients = await emulatorClients(ws, env);
  try {
    return await fn(clients);
  } finally {
    clients.close();
  }
}

function smokeChecks(ws: Workspace, env: Environment, extraOutputs: readonly string[]): Promise<string> {
  return withClients(ws, env, async ({ backend, eks }) => {
    const failures: string[] = [];
    const flagState = await backend.getObject(env.naming.stateKey('flag'));
    const outputs = Object.keys(stateOutputs(flagState));
    const missing = [...STANDARD_FLAG_OUTPUTS, ...extraOutputs].filter((o) => !outputs.includes(o));
    if (missing.length) failures.push(`FLAG's state lacks the outputs ${missing.join(', ')} (it has ${outputs.join(', ') || 'none'})`);

    const cluster = await eks.send(new DescribeClusterCommand({ name: env.naming.clusterName })).catch((err: Error) => err);
    const status = cluster instanceof Error ? `not found (${cluster.name})` : cluster.cluster?.status;
    if (status !== 'ACTIVE') failures.push(`the cluster ${env.naming.clusterName} is ${status}, not ACTIVE`);

    const recorded = await backend.getObject(env.naming.stateKey('goliath'));
    const chart = fs.readFileSync(manifestFile({ outdir: environmentBuildDir(ws, env.path) }, 'goliath'), 'utf8');
    const diff = diffManifests(recorded, chart);
    if (!recorded || diff.plan.changes.length > 0) failures.push(`Goliath's record differs from the chart in ${diff.plan.changes.length || 'every'} object(s)`);

    if (failures.length) throw new BddaError(failures.join('; '));
    return `FLAG outputs present (${outputs.length}); cluster ${env.naming.clusterName} ACTIVE; Goliath's record equals the chart`;
  });
}

/** The throwaway environment's ledger (deployment records, claim) goes with it. */
function forgetLedger(ws: Workspace, env: Environment): Promise<string> {
  return withClients(ws, env, async ({ backend }) => {
    const keys = await backend.listKeys(`${env.path}/`);
    for (const key of keys) await backend.deleteObject(key);
    return `${keys.length} ledger object(s) removed`;
  });
}

function assertNothingLeft(ws: Workspace, env: Environment): Promise<string> {
  return withClients(ws, env, async ({ backend, eks, ec2, iam }) => {
    const prefix = env.naming.prefix;
    const tagged = [{ Name: `tag:${ENVIRONMENT_TAG}`, Values: [env.path] }];
    const left: string[] = [];
    const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: tagged }))).Vpcs ?? [];
    left.push(...vpcs.map((v) => `VPC ${v.VpcId}`));
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: tagged }))).Subnets ?? [];
    left.push(...subnets.map((s) => `subnet ${s.SubnetId}`));
    const clusters = (await eks.send(new ListClustersCommand({}))).clusters ?? [];
    left.push(...clusters.filter((c) => c === env.naming.clusterName).map((c) => `EKS cluster ${c}`));
    let marker: string | undefined;
    do {
      const page = await iam.send(new ListRolesCommand({ Marker: marker }));
      left.push(...(page.Roles ?? []).filter((r) => r.RoleName?.startsWith(`${prefix}-`)).map((r) => `IAM role ${r.RoleName}`));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    left.push(...(await backend.listKeys(`${env.path}/`)).map((k) => `state object s3://${backend.bucket}/${k}`));
    if (left.length) throw new BddaError(`left behind: ${left.join(', ')}`);
    return `no VPC, subnet, cluster, IAM role or state object of ${prefix} is left`;
  });
}
