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
