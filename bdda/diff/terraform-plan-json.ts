/**
 * Terraform's machine-readable plan, `terraform show -json <planfile>`, as a typed plan. Only the
 * parts bdda reads are checked (resource changes, outputs, drift); the rest of the document is
 * left alone, so a newer terraform that adds keys still reads.
 *
 * What is committed must hold no secret: every value terraform marks sensitive, in the plan or by
 * the provider's schema (`before_sensitive`, `after_sensitive`), becomes `SENSITIVE`. Values
 * unknown until apply are left out of `after` and marked in `afterUnknown`.
 */
import { z } from 'zod';
import { BddaError } from '../../config/errors';
import { type AttributePath, type ChangeAction, type OutputChange, type ResourceChange, SENSITIVE, type TypedPlan } from './typed-plan';

const changeSchema = z.looseObject({
  actions: z.array(z.enum(['no-op', 'create', 'read', 'update', 'delete', 'forget'])).min(1),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  after_unknown: z.unknown().optional(),
  before_sensitive: z.unknown().optional(),
  after_sensitive: z.unknown().optional(),
  replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
  importing: z.looseObject({ id: z.string().optional() }).optional(),
});

const resourceChangeSchema = z.looseObject({
  address: z.string().min(1),
  module_address: z.string().optional(),
  type: z.string(),
  name: z.string(),
  deposed: z.string().optional(),
  change: changeSchema,
  action_reason: z.string().optional(),
  previous_address: z.string().optional(),
});

const planJsonSchema = z.looseObject({
  format_version: z.string(),
  resource_changes: z.array(resourceChangeSchema).optional(),
  resource_drift: z.array(resourceChangeSchema).optional(),
  output_changes: z.record(z.string(), changeSchema).optional(),
});

/** The part of `terraform show -json` of a saved plan that bdda reads. */
export type TerraformPlanJson = z.infer<typeof planJsonSchema>;

/** Checks the document `terraform show -json` printed; `where` names the plan file in the error. */
export function parsePlanJson(doc: unknown, where: string): TerraformPlanJson {
  const parsed = planJsonSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue.path.map(String).join('.');
  throw new BddaError(
    `terraform show -json of ${where} is not a plan bdda can read (${key ? `${key}: ` : ''}${issue.message}). ` +
      'Check that TERRAFORM_BINARY is terraform 1.11 or OpenTofu, then plan again; nothing was applied.',
  );
}

/** The typed plan of a checked document: changes and drift in address order, no-ops left out. */
export function typedPlanOf(plan: TerraformPlanJson): TypedPlan {
  const changes = (plan.resource_changes ?? []).map(resourceChange).filter((c): c is ResourceChange => c !== undefined);
  const drift = (plan.resource_drift ?? []).map(resourceChange).filter((c): c is ResourceChange => c !== undefined);
  const outputs = Object.entries(plan.output_changes ?? {})
    .map(([name, change]) => outputChange(name, change))
    .filter((c): c is OutputChange => c !== undefined)
    .sort((a, b) => compare(a.name, b.name));
  return { changes: changes.sort(byAddress), outputs, drift: drift.sort(byAddress) };
}

/** One output as the plan leaves it, with its real values, for the previews of the layers below. */
export interface PlannedOutput {
  /** The value, with null wherever `unknown` says the value is unknown. */
  readonly value: unknown;
  /** True, or a structure like `value`'s with true at each unknown part. */
  readonly unknown: unknown;
  readonly sensitive: boolean;
}

/**
 * Every output the plan gives a value (no-ops included), unmasked: these only ever reach the
 * preview's scratch state file, never a committed file.
 */
export function plannedOutputsOf(plan: TerraformPlanJson): Record<string, PlannedOutput> {
  return Object.fromEntries(
    Object.entries(plan.output_changes ?? {})
      .filter(([, change]) => !change.actions.includes('delete'))
      .map(([name, change]) => [name, { value: change.after ?? null, unknown: change.after_unknown ?? false, sensitive: change.after_sensitive === true }]),
  );
}

function resourceChange(rc: z.infer<typeof resourceChangeSchema>): ResourceChange | undefined {
  const { change } = rc;
  const action = changeAction(change.actions, change.importing !== undefined, rc.address);
  if (!action) return undefined;
  const unknown = prunedUnknown(change.after_unknown);
  return {
    address: rc.address,
    ...(rc.module_address ? { module: rc.module_address } : {}),
    type: rc.type,
    name: rc.name,
    ...(rc.deposed ? { deposed: rc.deposed } : {}),
    action,
    before: masked(change.before ?? null, change.before_sensitive),
    after: action === 'delete' || action === 'forget' ? null : knownOnly(masked(change.after ?? null, change.after_sensitive), unknown),
    ...(unknown !== undefined ? { afterUnknown: unknown } : {}),
    ...(change.replace_paths?.length ? { replacePaths: change.replace_paths as AttributePath[] } : {}),
    ...(rc.action_reason ? { reason: rc.action_reason } : {}),
    ...(change.importing ? { importing: true } : {}),
    ...(change.importing?.id ? { importId: change.importing.id } : {}),
    ...(rc.previous_address ? { previousAddress: rc.previous_address } : {}),
  };
}

function outputChange(name: string, change: z.infer<typeof changeSchema>): OutputChange | undefined {
  const [action] = change.actions;
  if (change.actions.length !== 1 || (action !== 'create' && action !== 'update' && action !== 'delete')) return undefined;
  const unknown = prunedUnknown(change.after_unknown);
  const sensitive = change.after_sensitive === true || change.before_sensitive === true;
  return {
    name,
    action,
    before: masked(change.before ?? null, change.before_sensitive),
    after: action === 'delete' ? null : knownOnly(masked(change.after ?? null, change.after_sensitive), unknown),
    ...(unknown !== undefined ? { afterUnknown: unknown } : {}),
    sensitive,
  };
}

/** Terraform's list of actions as one; undefined for a change that does nothing. */
function changeAction(actions: readonly string[], importing: boolean, address: string): ChangeAction | undefined {
  const key = actions.join(',');
  switch (key) {
    case 'no-op':
      return importing ? 'import' : undefined;
    case 'create':
    case 'update':
    case 'delete':
    case 'read':
    case 'forget':
      return key;
    case 'delete,create':
    case 'create,delete':
      return 'replace';
  }
  throw new BddaError(
    `terraform show -json plans the actions [${actions.join(', ')}] for ${address}, a combination bdda does not know. ` +
      'Check that TERRAFORM_BINARY is terraform 1.11 or OpenTofu, then plan again; nothing was applied.',
  );
}

/** `value` with each part `sensitive` marks (true, or a structure like the value's) as `SENSITIVE`. */
function masked(value: unknown, sensitive: unknown): unknown {
  if (sensitive === true) return value === null ? null : SENSITIVE;
  if (Array.isArray(value)) return value.map((v, i) => masked(v, Array.isArray(sensitive) ? sensitive[i] : undefined));
  if (isRecord(value)) {
    const marks = isRecord(sensitive) ? sensitive : {};
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, marks[k])]));
  }
  return value;
}

/** `after_unknown` without the parts that mark nothing; undefined when nothing is unknown. */
function prunedUnknown(unknown: unknown): unknown {
  if (unknown === true) return true;
  if (Array.isArray(unknown)) {
    const parts = unknown.map(prunedUnknown);
    return parts.some((p) => p !== undefined) ? parts.map((p) => p ?? false) : undefined;
  }
  if (isRecord(unknown)) {
    const parts = Object.entries(unknown)
      .map(([k, v]) => [k, prunedUnknown(v)] as const)
      .filter(([, v]) => v !== undefined);
    return parts.length ? Object.fromEntries(parts) : undefined;
  }
  return undefined;
}

/**
 * `after` without its unknown parts: an unknown attribute is left out, an unknown element of a
 * list stays in its place as null (terraform writes it so), a wholly unknown value is undefined.
 */
function knownOnly(after: unknown, unknown: unknown): unknown {
  if (unknown === true) return undefined;
  if (unknown === undefined || unknown === false) return after;
  if (Array.isArray(after)) return after.map((v, i) => (Array.isArray(unknown) ? (knownOnly(v, unknown[i]) ?? null) : v));
  if (isRecord(after) && isRecord(unknown)) {
    return Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, knownOnly(v, unknown[k])] as const)
        .filter(([k, v]) => !(unknown[k] === true || v === undefined)),
    );
  }
  return after;
}

function byAddress(a: ResourceChange, b: ResourceChange): number {
  return compare(a.address, b.address) || compare(a.deposed ?? '', b.deposed ?? '');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
