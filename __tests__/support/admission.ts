/**
 * The Kubernetes API server's admission by ValidatingAdmissionPolicy, for the chart's policies:
 * which policies and bindings match a request, then their match conditions and validations,
 * evaluated by a real CEL evaluator (@bufbuild/cel). An expression that fails to evaluate fails
 * the test, rather than counting as a refusal.
 */
import { isCelError, run } from '@bufbuild/cel';
import type { K8sObject } from '../../bdda/diff/kubernetes-diff';

export interface AdmissionRequest {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  /** The API group (`''` for core) and resource, e.g. `networking.k8s.io` and `networkpolicies`. */
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly user: { readonly username: string; readonly groups: readonly string[] };
  /** The object after the request; null on DELETE. */
  readonly object: unknown;
  /** The object before the request; null on CREATE. */
  readonly oldObject: unknown;
}

export interface AdmissionResult {
  readonly allowed: boolean;
  /** The policies that refused, each with its message. */
  readonly refusals: string[];
}

interface PolicySpec {
  matchConstraints: { resourceRules: Array<{ apiGroups: string[]; resources: string[]; operations: string[] }> };
  matchConditions?: Array<{ name: string; expression: string }>;
  validations: Array<{ expression: string; message: string }>;
}

interface BindingSpec {
  policyName: string;
  matchResources?: { namespaceSelector?: { matchExpressions: Array<{ key: string; operator: string; values: string[] }> } };
}

/** JSON as the API server hands it to CEL: whole numbers are CEL ints. */
function celValue(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(celValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celValue(v)]));
  return value;
}

function evaluate(expression: string, bindings: Record<string, unknown>): boolean {
  const result = run(expression, bindings as Parameters<typeof run>[1]);
  if (isCelError(result)) throw new Error(`CEL error in ${expression}: ${result.message}`);
  if (typeof result !== 'boolean') throw new Error(`CEL expression ${expression} gave ${String(result)}, not a bool`);
  return result;
}

/** Whether a binding's namespace selector takes `namespace` (the only selector the chart writes: its name). */
function bindingSelects(binding: BindingSpec, namespace: string): boolean {
  return (binding.matchResources?.namespaceSelector?.matchExpressions ?? []).every((e) => {
    if (e.key !== 'kubernetes.io/metadata.name' || !['In', 'NotIn'].includes(e.operator)) throw new Error(`selector ${JSON.stringify(e)} is not modelled here`);
    return e.values.includes(namespace) === (e.operator === 'In');
  });
}

/** What the API server decides on `request`, given the chart's objects. */
export function admit(chart: readonly K8sObject[], request: AdmissionRequest): AdmissionResult {
  const refusals: string[] = [];
  const bindings = chart.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding').map((o) => o.spec as BindingSpec);
  for (const policy of chart.filter((o) => o.kind === 'ValidatingAdmissionPolicy')) {
    const spec = policy.spec as PolicySpec;
    const matches = spec.matchConstraints.resourceRules.some(
      (r) => r.apiGroups.includes(request.group) && r.resources.includes(request.resource) && r.operations.includes(request.operation),
    );
    const bound = bindings.some((b) => b.policyName === policy.metadata.name && bindingSelects(b, request.namespace));
    if (!matches || !bound) continue;
    const vars = {
      object: celValue(request.object),
      oldObject: celValue(request.oldObject),
      request: celValue({ operation: request.operation, namespace: request.namespace, userInfo: request.user }),
    };
    if (!(spec.matchConditions ?? []).every((c) => evaluate(c.expression, vars))) continue;
    for (const v of spec.validations) if (!evaluate(v.expression, vars)) refusals.push(`${policy.metadata.name}: ${v.message}`);
  }
  return { allowed: refusals.length === 0, refusals };
}
