/**
 * `npm run status`: one row per environment, from what is already written down: the committed
 * diff (`changes.txt`), the claim and the current deployment record in the state bucket, and git.
 * Nothing is planned and terraform is never started; the reads of all environments run at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHANGES_JSON, type ChangesRecord } from '../diff/changes';
import { summaryWords } from '../diff/summary';
import { LABEL, UPSTREAM } from '../layers/index';
import { type Environment, listEnvironments, loadEnvironment } from '../../config/load';
import type { Workspace } from '../support/workspace';
import { readLedger } from './backend';
import { isExpired, type Lease, readLease } from './claims';
import { currentDeployment, type DeploymentRecord } from './records';
import { Git } from '../support/git';
import { alignColumns } from '../support/columns';

/** The folders whose changes change every environment's layers. */
const LAYER_CODE_PATHS = ['stacks', 'charts'] as const;

/** One layer of a committed, not yet deployed diff. */
type UndeployedLayer = Pick<ChangesRecord['layers'][number], 'layer' | 'status' | 'counts' | 'summary'>;

export interface EnvironmentStatus {
  readonly path: string;
  /** The first folder of the path: dev, staging, prod. */
  readonly tier: string;
  readonly emulated: boolean;
  readonly protected: boolean;
  /** Each layer of the undeployed diff, as changes.json records it; empty when there is none (in sync). */
  readonly undeployed: readonly UndeployedLayer[];
  /** Why the state bucket could not be read (`no credentials`, `emulator not running`); absent when it was. */
  readonly backendUnavailable?: string;
  /** The unexpired claim, if any. */
  readonly claim?: Lease;
  readonly lastDeployment?: Pick<DeploymentRecord, 'operation' | 'status' | 'sha' | 'branch' | 'who' | 'endedAt' | 'forced'>;
  /**
   * Commits on the main branch since the deployed sha touching this environment's config chain
   * or the layer code (`stacks/`, `charts/`); undefined when unknown (nothing deployed, the sha or
   * the branch not in this clone).
   */
  readonly mainCommitsSinceDeployed?: number;
  /** The main branch ref counted against, e.g. `main` or `origin/main`. */
  readonly mainRef?: string;
}

export async function environmentStatuses(ws: Workspace, now = new Date()): Promise<EnvironmentStatus[]> {
  const envs = listEnvironments(ws.root).map((ref) => loadEnvironment(ws.root, ref.path));
  return Promise.all(envs.map((env) => environmentStatus(ws, env, now)));
}

async function environmentStatus(ws: Workspace, env: Environment, now: Date): Promise<EnvironmentStatus> {
  const read = await readLedger(ws, env, async (backend) => {
    const [lease, deployment] = await Promise.all([readLease(backend, env.path), currentDeployment(backend, env.path)]);
    return { lease: lease?.value, deployment };
  });
  const ledger = 'value' in read ? read.value : undefined;
  const deployment = ledger?.deployment;
  const main = deployment ? await mainCommitsSince(ws, env, deployment.sha) : undefined;
  return {
    path: env.path,
    tier: env.path.split('/')[0],
    emulated: env.config.emulated,
    protected: env.config.protected,
    undeployed: undeployedLayers(env),
    backendUnavailable: 'unavailable' in read ? read.unavailable : undefined,
    claim: ledger?.lease && !isExpired(ledger.lease, now) ? ledger.lease : undefined,
    lastDeployment: deployment && {
      operation: deployment.operation,
      status: deployment.status,
      sha: deployment.sha,
      branch: deployment.branch,
      who: deployment.who,
      endedAt: deployment.endedAt,
      forced: deployment.forced,
    },
    mainCommitsSinceDeployed: main?.count,
    mainRef: main?.ref,
  };
}

/** The layers of the committed diff, from changes.json (not checked here: apply checks it). */
function undeployedLayers(env: Environment): UndeployedLayer[] {
  let record: Partial<ChangesRecord>;
  try {
    record = JSON.parse(fs.readFileSync(path.join(env.dir, CHANGES_JSON), 'utf8')) as Partial<ChangesRecord>;
  } catch {
    return [];
  }
  return (record.layers ?? []).map(({ layer, status, counts, summary }) => ({ layer, status, counts, summary }));
}

/**
 * An environment with no diff: `in sync` only when the ledger records a deployment (an environment
 * never planned nor deployed has neither) or cannot be read.
 */
export function withoutDiff(r: EnvironmentStatus): 'in sync' | 'never deployed' {
  return r.lastDeployment || r.backendUnavailable ? 'in sync' : 'never deployed';
}

/** The layers not yet deployed, or what {@link withoutDiff} says. */
function undeployedCell(r: EnvironmentStatus): string {
  return r.undeployed.length ? r.undeployed.map(describeUndeployed).join('; ') : withoutDiff(r);
}

/** `FLAG: 4 to add, 0 to change, 0 to destroy`, from the layer's counts. */
function describeUndeployed(l: UndeployedLayer): string {
  const upstream = UPSTREAM[l.layer];
  return `${LABEL[l.layer] ?? l.layer}: ${summaryWords({ ...l, waitsFor: upstream && LABEL[upstream] })}`;
}

/** `git rev-list --count <sha>..<main> -- <config chain> stacks charts`, with main local or on origin. */
async function mainCommitsSince(ws: Workspace, env: Environment, sha: string): Promise<{ count: number; ref: string } | undefined> {
  if (!/^[0-9a-f]{7,40}$/.test(sha)) return undefined;
  const branch = env.config.protection.mainBranch;
  for (const ref of [branch, `origin/${branch}`]) {
    const out = await new Git(ws.root).output(['rev-list', '--count', `${sha}..${ref}`, '--', ...env.files, ...LAYER_CODE_PATHS]);
    if (out !== undefined) return { count: Number(out.trim()), ref };
  }
  return undefined;
}

/** The table `npm run status` prints. */
export function renderStatusTable(rows: readonly EnvironmentStatus[]): string {
  const header = ['ENVIRONMENT', 'TIER', 'TARGET', 'PROTECTED', 'UNDEPLOYED', 'CLAIMED BY', 'LAST DEPLOYMENT', 'MAIN SINCE'];
  const cells = rows.map((r) => [
    r.path,
    r.tier,
    r.emulated ? 'emulated' : 'real',
    r.protected ? 'yes' : 'no',
    undeployedCell(r),
    r.backendUnavailable ? `? (${r.backendUnavailable})` : r.claim ? `${r.claim.who} until ${r.claim.until.replace(/\.\d+Z$/, 'Z')}` : '-',
    r.backendUnavailable
      ? `? (${r.backendUnavailable})`
      : r.lastDeployment
        ? `${r.lastDeployment.endedAt.replace(/\.\d+Z$/, 'Z')} ${r.lastDeployment.sha.slice(0, 8)} by ${r.lastDeployment.who}` +
          (r.lastDeployment.status === 'failed' ? ' (failed)' : '') +
          (r.lastDeployment.operation !== 'apply' ? ` (${r.lastDeployment.operation})` : '') +
          (r.lastDeployment.forced ? ' (forced)' : '')
        : 'none recorded',
    r.mainCommitsSinceDeployed === undefined
      ? '-'
      : r.mainCommitsSinceDeployed === 0
        ? 'up to date'
        : `${r.mainCommitsSinceDeployed} commit${r.mainCommitsSinceDeployed > 1 ? 's' : ''} on ${r.mainRef}`,
  ]);
  return alignColumns([header, ...cells]);
}
