/**
 * The policy API: a rule has an id, a one-line description, a default severity and a check.
 * Configuration rules read what synthesis produced for an environment (the cdktf JSON of each
 * terraform layer and Goliath's manifests), so `npm run check` runs them without terraform; plan
 * rules read the typed plan of a layer (previews included), so they judge what a change does.
 */
import type { Environment } from '../config/load';
import type { Layer } from '../config/naming';
import type { K8sObject } from '../bdda/diff/kubernetes-diff';
import type { TypedPlan } from '../bdda/diff/typed-plan';
import type { TerraformJson } from './terraform';

/** `error` stops the gate unless waived; `warning` is reported only. */
export type Severity = 'error' | 'warning';

/** What `policy.severity` may set a rule to in the environment hierarchy. */
export const SEVERITY_SETTINGS = ['error', 'warning', 'off'] as const;

/** What synthesis produced for one environment, parsed. */
export interface SynthesizedEnvironment {
  readonly env: Environment;
  /** Each terraform layer's `cdk.tf.json`. */
  readonly stacks: Readonly<Partial<Record<Layer, TerraformJson>>>;
  /** Goliath's objects. */
  readonly manifests: readonly K8sObject[];
}

/** One place a rule's control is missing or broken. */
export interface Finding {
  readonly layer: Layer;
  /** The terraform address (`aws_eks_cluster.cluster`) or Kubernetes object address (`v1 Namespace payments`). */
  readonly address: string;
  readonly message: string;
}

interface RuleBase {
  /** Upper-case kebab case, e.g. `FLOW-LOGS`; what waivers and `policy.severity` name. */
  readonly id: string;
  /** One line: what the rule requires. */
  readonly description: string;
  /** The severity unless the environment's `policy.severity` sets another. */
  readonly severity: Severity;
}

export interface ConfigurationRule extends RuleBase {
  readonly kind: 'configuration';
  check(synth: SynthesizedEnvironment): Finding[];
}

export interface PlanRule extends RuleBase {
  readonly kind: 'plan';
  check(plan: TypedPlan, context: { readonly env: Environment; readonly layer: Layer }): Array<Omit<Finding, 'layer'>>;
}

export type Rule = ConfigurationRule | PlanRule;

/** A finding with the rule that made it and the severity it has in this environment. */
export interface PolicyResult extends Finding {
  readonly rule: string;
  readonly severity: Severity;
  /** The waiver that covers it, if one does. @default not waived */
  readonly waiver?: { readonly index: number; readonly approvedBy: string; readonly expires: string; readonly reason: string };
}
