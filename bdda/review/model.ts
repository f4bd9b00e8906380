/**
 * What the review page shows, as data: built from `changes.json` (each layer's typed plan), the
 * policy rules and what is known of the environment (git, the ledger, the CI run). Pure: the page
 * (page.ts) is a function of this model, and both are tested without a browser.
 */
import type { Environment } from '../../config/load';
import { LAYERS, type Layer } from '../../config/naming';
import { RULES } from '../../policies';
import type { PlanRule } from '../../policies/rule';
import type { ChangesRecord, LayerStatus } from '../diff/changes';
import { summaryLine } from '../diff/summary';
import { type ChangeAction, changeKey, type OutputChange, type ResourceChange } from '../diff/typed-plan';
import { LABEL, LAYER_LIST, UPSTREAM } from '../layers/list';

/** How the cake draws a layer. */
type LayerState = 'in-sync' | 'changes' | 'preview' | 'waiting';

/** The order rows are read in: what removes something first. */
const ACTION_ORDER: readonly ChangeAction[] = ['replace', 'delete', 'update', 'create', 'import', 'forget', 'read'];

/** One resource or object of a layer's plan, with the group the table files it under. */
export interface ReviewRow {
  readonly layer: Layer;
  /** The module address, else the resource type (`module.vpc`, `aws_subnet`), else the object's kind. */
  readonly group: string;
  /** The address, with ` (deposed <key>)` on a deposed object. */
  readonly key: string;
  readonly change: ResourceChange;
}

export interface ReviewLayer {
  readonly layer: Layer;
  readonly label: string;
  readonly state: LayerState;
  /** The summary line of changes.txt. */
  readonly summary: string;
  /** The summary's counts: `add`, `change`, and `destroy` (terraform) or `delete` (Kubernetes). */
  readonly counts: Readonly<Record<string, number>>;
  /** What produced the diff, e.g. `terraform plan`. */
  readonly engine: string;
  /** The upstream's label, for a preview or a waiting layer. */
  readonly upstreamLabel?: string;
  /** On a preview: where each placeholder stood in the upstream's outputs. @default none */
  readonly placeholders: readonly string[];
  /** The layer's rows: by group, and in a group what removes something first, then by address. */
  readonly rows: readonly ReviewRow[];
  readonly outputs: readonly OutputChange[];
  /** What changed outside the config since the last apply. */
  readonly drift: readonly ResourceChange[];
  /** Whether the layer's objects are Kubernetes objects, shown as per-object diffs. */
  readonly kubernetes: boolean;
}

/** A change that would hurt, found by a plan rule. */
export interface ReviewRisk {
  readonly rule: string;
  readonly layer: Layer;
  readonly address: string;
  readonly message: string;
  /** From the policy results `changes.json` records: the severity in this environment. @default a risk flag only */
  readonly severity?: 'error' | 'warning';
  /** From the policy results: who waived it, until when. @default not waived */
  readonly waiver?: { readonly approvedBy: string; readonly expires: string; readonly reason: string };
}

/** The last deployment, as the ledger records it. */
export interface ReviewDeployment {
  readonly operation: string;
  readonly status: string;
  readonly sha: string;
  readonly who: string;
  readonly endedAt: string;
  /** Where the record is: an `s3://` address, or a link to it in the AWS console. */
  readonly location: string;
  readonly href?: string;
}

/** What is known of the environment beside its diff. */
export interface ReviewContext {
  readonly env: Environment;
  /** The commit the tree is at. @default unknown (not a git checkout) */
  readonly head?: string;
  /** When the diff was planned (ISO time). @default unknown */
  readonly plannedAt?: string;
  /** Why the diff may no longer be what apply would do (the tree changed since, a newer deployment). @default none */
  readonly staleBecause?: readonly string[];
  readonly lastDeployment?: ReviewDeployment;
  /** Why the ledger could not be read (`emulator not running`). @default it was read */
  readonly ledgerUnavailable?: string;
  /** The CI run that wrote the page. @default not written in CI */
  readonly ciRun?: { readonly label: string; readonly href: string };
  /** The policy results `changes.json` records, shown before the risk flags. @default none recorded */
  readonly policy?: readonly ReviewRisk[];
}

export interface ReviewModel {
  readonly environment: string;
  readonly protected: boolean;
  readonly emulated: boolean;
  /** The commit deployed last, the base the diff is against. @default nothing deployed, or unknown */
  readonly base?: string;
  readonly head?: string;
  readonly plannedAt?: string;
  readonly staleBecause: readonly string[];
  /** The digest of `changes.json`; undefined when there is no diff (in sync). */
  readonly digest?: string;
  readonly tools: Readonly<Record<string, string>>;
  /** In apply order: FLAG, KARR, GOLIATH. */
  readonly layers: readonly ReviewLayer[];
  /** Every destroy and replacement, in layer order. */
  readonly destructive: readonly ReviewRow[];
  /** The policy results recorded with the diff, then the risk flags no result already names. */
  readonly risks: readonly ReviewRisk[];
  readonly lastDeployment?: ReviewDeployment;
  readonly ledgerUnavailable?: string;
  readonly ciRun?: { readonly label: string; readonly href: string };
}

const STATE: Readonly<Record<LayerStatus, LayerState>> = { 'no-changes': 'in-sync', changes: 'changes', preview: 'preview', waiting: 'waiting' };

/** The review of an environment's diff; `record` undefined means no diff: every layer in sync. */
export function reviewModel(record: ChangesRecord | undefined, context: ReviewContext): ReviewModel {
  const layers = LAYERS.map((layer) =>
    reviewLayer(
      layer,
      record?.layers.find((l) => l.layer === layer),
    ),
  );
  const policy = context.policy ?? [];
  const named = new Set(policy.map((r) => `${r.rule} ${r.layer} ${r.address}`));
  const flags = riskFlags(record, context.env).filter((r) => !named.has(`${r.rule} ${r.layer} ${r.address}`));
  return {
    environment: context.env.path,
    protected: context.env.config.protected,
    emulated: context.env.config.emulated,
    base: context.lastDeployment?.sha,
    head: context.head,
    plannedAt: context.plannedAt,
    staleBecause: context.staleBecause ?? [],
    digest: record?.digest,
    tools: record?.tools ?? {},
    layers,
    destructive: layers.flatMap((l) => l.rows.filter((r) => r.change.action === 'delete' || r.change.action === 'replace')),
    risks: [...policy, ...flags],
    lastDeployment: context.lastDeployment,
    ledgerUnavailable: context.ledgerUnavailable,
    ciRun: context.ciRun,
  };
}

function reviewLayer(layer: Layer, recorded: ChangesRecord['layers'][number] | undefined): ReviewLayer {
  const label = LABEL[layer] ?? layer.toUpperCase();
  const upstream = UPSTREAM[layer];
  const upstreamLabel = upstream ? (LABEL[upstream] ?? upstream.toUpperCase()) : undefined;
  if (!recorded) {
    return {
      layer,
      label,
      state: 'in-sync',
      summary: summaryLine(label, { status: 'no-changes', counts: {} }),
      counts: {},
      engine: '',
      placeholders: [],
      rows: [],
      outputs: [],
      drift: [],
      kubernetes: false,
    };
  }
  const kubernetes = LAYER_LIST.find((e) => e.layer === layer)?.engine === 'kubernetes';
  const rows = recorded.plan.changes.map((change) => ({ layer, group: groupOf(change), key: changeKey(change), change }));
  return {
    layer,
    label,
    state: STATE[recorded.status],
    summary: recorded.summary,
    counts: recorded.counts,
    engine: recorded.engine,
    upstreamLabel: recorded.status === 'preview' || recorded.status === 'waiting' ? upstreamLabel : undefined,
    placeholders: recorded.preview?.placeholders ?? [],
    rows: rows.sort(byGroupActionAddress),
    outputs: recorded.plan.outputs,
    drift: recorded.plan.drift,
    kubernetes,
  };
}

function groupOf(change: ResourceChange): string {
  return change.module ?? change.type;
}

function byGroupActionAddress(a: ReviewRow, b: ReviewRow): number {
  return compare(a.group, b.group) || ACTION_ORDER.indexOf(a.change.action) - ACTION_ORDER.indexOf(b.change.action) || compare(a.key, b.key);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The plan rules' findings on every layer, as if the environment were protected: what would hurt
 * is flagged for a reviewer in any environment, while the policy gate refuses it only where the
 * environment's severities say so.
 */
function riskFlags(record: ChangesRecord | undefined, env: Environment): ReviewRisk[] {
  if (!record) return [];
  const asProtected: Environment = { ...env, config: { ...env.config, protected: true } };
  const rules = RULES.filter((r): r is PlanRule => r.kind === 'plan');
  return record.layers.flatMap(({ layer, plan }) =>
    rules.flatMap((rule) => rule.check(plan, { env: asProtected, layer }).map((f) => ({ rule: rule.id, layer, address: f.address, message: f.message }))),
  );
}
