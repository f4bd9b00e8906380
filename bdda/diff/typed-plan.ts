/**
 * The typed plan: what one layer's plan will do, as data. Every decision bdda takes on a plan
 * (counts, summary lines, destroy and replacement lists, digests, `changes.json`, the CI summary,
 * the ledger, the comparison of a preview with its real plan, policy rules, the review page) reads
 * this, never terraform's human text, which is kept for people in `changes.txt` only.
 *
 * A terraform layer's typed plan is read from `terraform show -json` of its saved plan file
 * (terraform-plan-json.ts); Goliath's from its Kubernetes diff, with the same shape.
 */

/**
 * What a plan does to one resource or object. `replace` is terraform's delete-then-create or
 * create-then-delete; `read` a data source read during apply; `forget` a `removed` block that
 * keeps the real object. An import of an object that is otherwise unchanged is `import`.
 */
export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'import' | 'forget';

/** A path into a resource's attributes, e.g. `['ingress', 0, 'cidr_blocks']`. */
export type AttributePath = readonly (string | number)[];

/** The marker a sensitive value is written as, so that no secret reaches a committed file. */
export const SENSITIVE = '(sensitive value)';

/** One resource (terraform) or object (Kubernetes) that the plan changes. */
export interface ResourceChange {
  /**
   * Terraform's full address (`module.vpc.aws_subnet.private[0]`), or the object's address
   * (`apps/v1 Deployment platform/metrics-server`).
   */
  readonly address: string;
  /** The module address (`module.vpc`); undefined at the root and for Kubernetes objects. */
  readonly module?: string;
  /** The resource type (`aws_eks_cluster`) or the object's kind (`Namespace`). */
  readonly type: string;
  /** The resource name in its module (`private`), or the object's name. */
  readonly name: string;
  /** Set on a deposed object of a create-before-destroy replacement: terraform's deposed key. @default the current object */
  readonly deposed?: string;
  readonly action: ChangeAction;
  /** The attribute values before, with every sensitive value as `SENSITIVE`; null when created. */
  readonly before: unknown;
  /**
   * The values after, known ones only, with every sensitive value as `SENSITIVE`; null when
   * deleted. A value unknown until apply is absent here and marked in `afterUnknown`.
   */
  readonly after: unknown;
  /** True, or a structure like `after`'s with true at each part unknown until apply. @default false */
  readonly afterUnknown?: unknown;
  /** On a replacement: the attributes that force it (terraform's `replace_paths`). @default none */
  readonly replacePaths?: readonly AttributePath[];
  /** Terraform's `action_reason`, e.g. `replace_because_cannot_update`. @default none */
  readonly reason?: string;
  /** Set when the plan imports the resource. @default false */
  readonly importing?: boolean;
  /** The id the resource is imported from, when terraform names it. @default none */
  readonly importId?: string;
  /** The address before a `moved` block. @default not moved */
  readonly previousAddress?: string;
}

/** One output of a terraform layer that the plan changes. */
export interface OutputChange {
  readonly name: string;
  readonly action: 'create' | 'update' | 'delete';
  readonly before: unknown;
  /** Known values only, as in `ResourceChange.after`. */
  readonly after: unknown;
  readonly afterUnknown?: unknown;
  readonly sensitive: boolean;
}

/** A layer's plan as data. */
export interface TypedPlan {
  /** The resources or objects changed, in address order; no-ops are left out. */
  readonly changes: readonly ResourceChange[];
  /** The outputs changed; none for Goliath. */
  readonly outputs: readonly OutputChange[];
  /**
   * What changed outside the config since the last apply (terraform's `resource_drift`), apart
   * from the intended changes; none for Goliath.
   */
  readonly drift: readonly ResourceChange[];
}

export const EMPTY_PLAN: TypedPlan = { changes: [], outputs: [], drift: [] };

/** The key an address's action is known by: the address, or for a deposed object `<address> (deposed <key>)`. */
export function changeKey(change: Pick<ResourceChange, 'address' | 'deposed'>): string {
  return change.deposed ? `${change.address} (deposed ${change.deposed})` : change.address;
}

/** Each address's action, in address order. */
export function planActions(plan: TypedPlan): Record<string, ChangeAction> {
  return Object.fromEntries(plan.changes.map((c) => [changeKey(c), c.action]));
}

/**
 * The counts of the summary line, as terraform counts them: a replacement adds one and destroys
 * one; reads, imports of unchanged objects and forgets are not counted. `removal` names the last
 * count: terraform's `destroy`, Kubernetes' `delete`.
 */
export function planCounts(plan: TypedPlan, removal: 'destroy' | 'delete'): Record<string, number> {
  const counts = { add: 0, change: 0, [removal]: 0 };
  for (const { action } of plan.changes) {
    if (action === 'create' || action === 'replace') counts.add++;
    if (action === 'update') counts.change++;
    if (action === 'delete' || action === 'replace') counts[removal]++;
  }
  return counts;
}
