/**
 * Reading terraform values for rules: the synthesized cdktf JSON (`cdk.tf.json`, where a nested
 * block is an object and references are `${type.name.attribute}` strings) and a plan's before and
 * after values (where a nested block is a list of objects).
 */
import type { Layer } from '../config/naming';

/** A resource's attributes. */
type Attributes = Readonly<Record<string, unknown>>;

/** The parts of a synthesized stack rules read. */
export interface TerraformJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Attributes>>>>;
}

export interface TerraformResource {
  /** `aws_kms_key.secrets-key` */
  readonly address: string;
  readonly name: string;
  readonly body: Attributes;
}

/** Every resource of a type in a stack, in the stack's order. */
export function resourcesOf(stack: TerraformJson | undefined, type: string): TerraformResource[] {
  return Object.entries(stack?.resource?.[type] ?? {}).map(([name, body]) => ({ address: `${type}.${name}`, name, body }));
}

/** The name of the resource of `type` that a `${type.name.attribute}` reference points at. */
export function referencedName(value: unknown, type: string): string | undefined {
  const match = /^\$\{([a-z0-9_]+)\.([^.}]+)\.[^}]+\}$/.exec(String(value));
  return match && match[1] === type ? match[2] : undefined;
}

export function asList(value: unknown): unknown[] {
  return value === undefined || value === null ? [] : [value].flat();
}

/**
 * The value at a path of attribute names, or undefined. A block written as a list (a plan's
 * `vpc_config: [{...}]`) is read through its first element, so one path serves both shapes.
 */
export function field(value: unknown, ...keys: readonly string[]): unknown {
  let node = value;
  for (const key of keys) {
    if (Array.isArray(node)) node = node[0];
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** An IAM or key policy statement, as far as rules read it. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/**
 * The statements of a policy document, given as a JSON string or an object. Terraform
 * interpolates `${...}` before the JSON is read, so quotes inside one are escaped first. A
 * document that does not parse (unknown until apply) has no statements.
 */
export function policyStatements(document: unknown): Statement[] {
  let parsed: unknown = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document.replace(/\$\{[^}]*\}/g, (expr) => expr.replace(/"/g, '\\"')));
    } catch {
      return [];
    }
  }
  return asList(field(parsed, 'Statement')).filter((s): s is Statement => s !== null && typeof s === 'object');
}

/** Each synthesized terraform layer with its stack, for rules that hold in every layer. */
export function eachStack(stacks: Readonly<Partial<Record<Layer, TerraformJson>>>): Array<{ readonly layer: Layer; readonly stack: TerraformJson }> {
  return (Object.entries(stacks) as Array<[Layer, TerraformJson]>).map(([layer, stack]) => ({ layer, stack }));
}

/**
 * The ingress rules of security groups, given as the `${...}` references resources use for their
 * ids: standalone rules (either resource type) and, under their group's address, the inline
 * `ingress` blocks of groups of this stack.
 */
export function ingressRulesOf(stack: TerraformJson, groupIds: ReadonlySet<string>): TerraformResource[] {
  const standalone = [
    ...resourcesOf(stack, 'aws_vpc_security_group_ingress_rule'),
    ...resourcesOf(stack, 'aws_security_group_rule').filter((r) => r.body.type === 'ingress'),
  ].filter((r) => groupIds.has(String(r.body.security_group_id)));
  const inline = resourcesOf(stack, 'aws_security_group')
    .filter((g) => groupIds.has(`\${aws_security_group.${g.name}.id}`))
    .flatMap((g) => asList(g.body.ingress).map((block) => ({ address: g.address, name: g.name, body: block as Attributes })));
  return [...standalone, ...inline];
}

/** Where an ingress rule admits traffic from: CIDRs, security groups, prefix lists, `itself`. */
export function ingressSources(rule: TerraformResource): string[] {
  const b = rule.body;
  return [
    b.cidr_ipv4,
    b.cidr_ipv6,
    b.referenced_security_group_id,
    b.prefix_list_id,
    ...asList(b.cidr_blocks),
    ...asList(b.ipv6_cidr_blocks),
    b.source_security_group_id,
    ...asList(b.security_groups),
    ...asList(b.prefix_list_ids),
    b.self === true ? 'itself' : undefined,
  ]
    .filter((s) => s !== undefined && s !== null)
    .map(String);
}

/** Whether an ingress rule admits tcp port 443 and nothing else. */
export function admitsOnlyHttps(rule: TerraformResource): boolean {
  const b = rule.body;
  return ['tcp', '6'].includes(String(b.ip_protocol ?? b.protocol)) && Number(b.from_port) === 443 && Number(b.to_port) === 443;
}
