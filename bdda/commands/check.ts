/**
 * `npm run check`: the configuration policy rules on one environment's synthesis (or every
 * environment's), without terraform or the emulator. An unchanged synthesis is reused, so a
 * second run only reads files. Exit 1 when an error is not waived.
 */
import { listEnvironments, loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import type { PolicyResult } from '../../policies/rule';
import { evaluatePolicies } from '../policy/evaluate';
import { policyGate, renderPolicySection } from '../policy/report';
import { readWaivers } from '../policy/waivers';
import { synthesize } from '../workflow/synth';
import { environmentBuildDir, type Workspace } from '../support/workspace';

export interface CheckCommandOptions {
  readonly env?: string;
  readonly all?: boolean;
}

/** Prints each environment's POLICY section and a summary line; returns the exit code. */
export async function checkCommand(ws: Workspace, opts: CheckCommandOptions): Promise<number> {
  if (!!opts.env === !!opts.all) throw new BddaError('Pass either --env <name> (one environment) or --all (every environment) to check.');
  const envs = opts.env ? [loadEnvironment(ws.root, opts.env)] : listEnvironments(ws.root).map((ref) => loadEnvironment(ws.root, ref.path));
  let refused = 0;
  const all: PolicyResult[] = [];
  for (const env of envs) {
    // Read first: a malformed or expired waiver is refused before anything is synthesized.
    const waivers = readWaivers(env);
    const synth = await synthesize(env, environmentBuildDir(ws, env.path), { reuse: true });
    const results = evaluatePolicies(env, synth, waivers);
    const gate = policyGate(results, waivers);
    refused += gate.refused.length;
    all.push(...results);
    console.log(`${env.path}\n${renderPolicySection(results)}`);
    if (gate.message) console.log(gate.message);
    console.log('');
  }
  const count = (pick: (r: PolicyResult) => boolean) => all.filter(pick).length;
  console.log(
    `check: ${envs.length} environment${envs.length === 1 ? '' : 's'}, ${refused} unwaived error${refused === 1 ? '' : 's'}, ` +
      `${count((r) => r.severity === 'warning')} warning${count((r) => r.severity === 'warning') === 1 ? '' : 's'}, ${count((r) => !!r.waiver)} waived`,
  );
  return refused > 0 ? 1 : 0;
}
