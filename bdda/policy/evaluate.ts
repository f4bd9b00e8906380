/**
 * Runs the policy rules on an environment: the configuration rules on its synthesis, the plan
 * rules on whichever layers' typed plans are given, each at the severity the environment's
 * `policy.severity` sets, each finding marked with the waiver that covers it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { LAYERS, type Layer } from '../../config/naming';
import { RULES } from '../../policies';
import type { PolicyResult, Rule, Severity, SynthesizedEnvironment } from '../../policies/rule';
import type { TerraformJson } from '../../policies/terraform';
import { parseManifests } from '../diff/kubernetes-diff';
import type { TypedPlan } from '../diff/typed-plan';
import { LAYER_LIST } from '../layers/list';
import { manifestFile, type SynthOutput, terraformDir } from '../workflow/synth-output';
import { type PolicyRecord, policyRecord } from './record';
import { waiverFor, type Waivers } from './waivers';

/** Reads what synthesis wrote for an environment. */
export function readSynthesis(env: Environment, synth: SynthOutput): SynthesizedEnvironment {
  const stacks: Partial<Record<Layer, TerraformJson>> = {};
  let manifests: SynthesizedEnvironment['manifests'] = [];
  for (const entry of LAYER_LIST) {
    if (entry.engine === 'terraform') stacks[entry.layer] = JSON.parse(fs.readFileSync(path.join(terraformDir(synth, entry.layer), 'cdk.tf.json'), 'utf8'));
    else manifests = [...manifests, ...parseManifests(fs.readFileSync(manifestFile(synth, entry.layer), 'utf8'))];
  }
  return { env, stacks, manifests };
}

/**
 * The policy results of an environment: configuration rules on its synthesis, plan rules on the
 * typed plan of each layer in `plans` (none given: configuration rules only), marked with the
 * waivers of its `waivers.yaml` (readWaivers).
 */
export function evaluatePolicies(
  env: Environment,
  synth: SynthOutput,
  waivers: Waivers,
  plans: ReadonlyArray<{ readonly layer: Layer; readonly plan: TypedPlan }> = [],
): PolicyResult[] {
  return evaluateSynthesized(readSynthesis(env, synth), Object.fromEntries(plans.map((p) => [p.layer, p.plan])), waivers);
}

/** The policy results of an environment's layer plans, as changes.json records them. */
export function policyOfPlans(
  env: Environment,
  synth: SynthOutput,
  waivers: Waivers,
  plans: ReadonlyArray<{ readonly layer: Layer; readonly plan: TypedPlan }>,
): PolicyRecord {
  return policyRecord(evaluatePolicies(env, synth, waivers, plans), waivers);
}

/** The same, on a synthesis already read (tests change it to remove a control). */
export function evaluateSynthesized(synth: SynthesizedEnvironment, plans: Readonly<Partial<Record<Layer, TypedPlan>>> = {}, waivers: Waivers): PolicyResult[] {
  const { env } = synth;
  const results: PolicyResult[] = [];
  for (const rule of RULES) {
    const severity = severityOf(rule, env);
    if (!severity) continue;
    const findings =
      rule.kind === 'configuration'
        ? rule.check(synth)
        : LAYERS.flatMap((layer) => {
            const plan = plans[layer];
            return plan ? rule.check(plan, { env, layer }).map((f) => ({ ...f, layer })) : [];
          });
    for (const finding of findings) {
      const waiver = waiverFor(waivers, rule.id, finding.address);
      results.push({
        rule: rule.id,
        severity,
        ...finding,
        ...(waiver && { waiver: { index: waiver.index, approvedBy: waiver.approvedBy, expires: waiver.expires, reason: waiver.reason } }),
      });
    }
  }
  // Layer order, then code-point order, so that the same findings always give the same bytes.
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const order = (r: PolicyResult) => LAYERS.indexOf(r.layer);
  return results.sort((a, b) => order(a) - order(b) || compare(a.rule, b.rule) || compare(a.address, b.address));
}

/** The rule's severity in this environment; undefined when it is switched off. */
function severityOf(rule: Rule, env: Environment): Severity | undefined {
  const setting = env.config.policy.severity[rule.id] ?? rule.severity;
  return setting === 'off' ? undefined : setting;
}
