/**
 * A terraform state file (`.tfstate`, format version 4), read in one place: its outputs and its
 * managed resources. Everything that looks into a layer's state goes through `parseTerraformState`.
 */

/** One output as the state records it. */
interface StateOutput {
  readonly value: unknown;
  readonly type?: unknown;
  readonly sensitive?: boolean;
}

/** A state's `outputs`: name to `{ value, type, sensitive? }`. */
export type StateOutputs = Readonly<Record<string, StateOutput>>;

/** One resource block of the state, with the attributes of each of its instances. */
export interface StateResource {
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  /** Set for resources inside a module, e.g. `module.vpc`. */
  readonly module?: string;
  readonly instances: ReadonlyArray<{ readonly attributes: Readonly<Record<string, unknown>> }>;
}

export interface TerraformState {
  readonly outputs: StateOutputs;
  readonly resources: readonly StateResource[];
}

const EMPTY: TerraformState = { outputs: {}, resources: [] };

/**
 * Parses a state's JSON; no text (no state object yet) gives an empty state. Malformed parts are
 * left out rather than trusted: a resource without a type or name, an instance without attributes.
 */
export function parseTerraformState(text: string | undefined): TerraformState {
  if (!text) return EMPTY;
  const raw = JSON.parse(text) as { outputs?: unknown; resources?: unknown };
  const outputs = isRecord(raw.outputs) ? (raw.outputs as Record<string, StateOutput>) : {};
  const resources = Array.isArray(raw.resources) ? raw.resources.filter(isResource).map(toResource) : [];
  return { outputs, resources };
}

/** The state's `outputs`, `{}` when there is no state. */
export function stateOutputs(text: string | undefined): StateOutputs {
  return parseTerraformState(text).outputs;
}

/** `aws_vpc.main`, or `module.x.aws_vpc.main` inside a module. */
export function resourceAddress(r: Pick<StateResource, 'type' | 'name' | 'module' | 'mode'>): string {
  const local = `${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
  return r.module ? `${r.module}.${local}` : local;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isResource(v: unknown): v is Record<string, unknown> & { type: string; name: string } {
  return isRecord(v) && typeof v.type === 'string' && typeof v.name === 'string';
}

function toResource(r: Record<string, unknown> & { type: string; name: string }): StateResource {
  const instances = Array.isArray(r.instances) ? r.instances.filter(isRecord) : [];
  return {
    mode: typeof r.mode === 'string' ? r.mode : 'managed',
    type: r.type,
    name: r.name,
    ...(typeof r.module === 'string' ? { module: r.module } : {}),
    instances: instances.map((i) => ({ attributes: isRecord(i.attributes) ? i.attributes : {} })),
  };
}
