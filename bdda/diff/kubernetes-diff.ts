/**
 * The Kubernetes diff of Goliath against the manifests recorded at the last apply: objects added,
 * changed and deleted (those that left the chart), with Secret data masked. Emulated
 * environments have no API server, so this record is the whole truth there; live clusters use
 * `kubectl diff` for content and this record as the inventory of what to delete.
 */
import { createTwoFilesPatch } from 'diff';
import { parseAllDocuments, stringify } from 'yaml';
import type { ResourceChange, TypedPlan } from './typed-plan';

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export type ObjectAction = 'create' | 'update' | 'delete';

export interface ManifestDiff {
  /** The unified diffs, for people. */
  readonly body: string;
  /** Each object added, changed or deleted, in address order. */
  readonly plan: TypedPlan;
}

/** One object's change as a typed plan's entry; Secret data is masked in `before` and `after`. */
export function objectChange(action: ObjectAction, before: K8sObject | undefined, after: K8sObject | undefined): ResourceChange {
  const o = (after ?? before) as K8sObject;
  return {
    address: objectAddress(o),
    type: o.kind,
    name: o.metadata.name,
    action,
    before: before ? masked(before, undefined) : null,
    after: after ? masked(after, before) : null,
  };
}

/** `apps/v1 Deployment platform/cluster-autoscaler`: unique per object in a cluster. */
export function objectAddress(o: K8sObject): string {
  return `${o.apiVersion} ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/**
 * The name `kubectl diff` gives an object's files (`apps.v1.Deployment.platform.cluster-autoscaler`),
 * to map its output back to `objectAddress`.
 */
export function kubectlDiffName(o: K8sObject): string {
  return [...o.apiVersion.split('/'), o.kind, ...(o.metadata.namespace ? [o.metadata.namespace] : []), o.metadata.name].join('.');
}

export function parseManifests(yamlText: string | undefined): K8sObject[] {
  if (!yamlText) return [];
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** Secret values never reach a diff; a changed value shows as changed, not what it became. */
function masked(o: K8sObject, other: K8sObject | undefined): K8sObject {
  if (o.kind !== 'Secret') return o;
  const out: Record<string, unknown> = { ...o };
  for (const field of ['data', 'stringData'] as const) {
    const values = o[field] as Record<string, string> | undefined;
    if (!values) continue;
    const before = (other?.[field] ?? {}) as Record<string, string>;
    out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, other && before[k] !== undefined && before[k] !== values[k] ? '*** (changed)' : '***']));
  }
  return out as K8sObject;
}

function toYaml(o: K8sObject | undefined): string {
  return o ? stringify(o, { sortMapEntries: true, lineWidth: 0 }) : '';
}

/** The unified diff of one object's YAML; an absent side is `/dev/null`. */
function unifiedPatch(address: string, before: string | undefined, after: string | undefined): string {
  const [from, to] = [before === undefined ? '/dev/null' : address, after === undefined ? '/dev/null' : address];
  return createTwoFilesPatch(from, to, before ?? '', after ?? '', undefined, undefined, { context: 3 })
    .split('\n')
    .filter((line) => !/^={10,}$/.test(line))
    .join('\n')
    .trimEnd();
}

/**
 * The unified diff of one object of a Kubernetes typed plan, from its recorded `before` and
 * `after` (Secret data already masked there), as the review page shows it.
 */
export function objectPatch(change: Pick<ResourceChange, 'address' | 'before' | 'after'>): string {
  const side = (o: unknown) => (o === null || o === undefined ? undefined : toYaml(o as K8sObject));
  return unifiedPatch(change.address, side(change.before), side(change.after));
}

export function diffManifests(recorded: string | undefined, desired: string): ManifestDiff {
  const before = new Map(parseManifests(recorded).map((o) => [objectAddress(o), o]));
  const after = new Map(parseManifests(desired).map((o) => [objectAddress(o), o]));
  const addresses = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: ResourceChange[] = [];
  const patches: string[] = [];
  for (const address of addresses) {
    const old = before.get(address);
    const now = after.get(address);
    const oldText = toYaml(old && masked(old, undefined));
    const newText = toYaml(now && masked(now, old));
    if (oldText === newText) continue;
    const action: ObjectAction = !old ? 'create' : !now ? 'delete' : 'update';
    changes.push(objectChange(action, old, now));
    const verb = { create: 'will be created', update: 'will be changed', delete: 'will be deleted (it left the chart)' }[action];
    patches.push(`# ${address} ${verb}\n${unifiedPatch(address, old ? oldText : undefined, now ? newText : undefined)}`);
  }
  const count = (a: ObjectAction) => changes.filter((c) => c.action === a).length;
  const body = patches.length
    ? `${patches.join('\n\n')}\n\nGoliath: ${count('create')} to add, ${count('update')} to change, ${count('delete')} to delete.`
    : 'No changes. The recorded manifests match the chart.';
  return { body, plan: { changes, outputs: [], drift: [] } };
}
