/**
 * kubectl, for Goliath on a live cluster (bdda/layers/goliath-kubectl.ts): a kubeconfig built
 * from KARR's outputs, running kubectl with it, and its version.
 */
import { stringify } from 'yaml';
import { BddaError } from '../../config/errors';
import type { Layer } from '../../config/naming';
import { LABEL } from '../layers/list';
import { writeFileAtomic } from '../support/fs-atomic';
import { stateOutputs } from '../state/terraform-state';
import type { PlanContext } from '../workflow/plan-context';
import { TOOL_PROGRAMS, tools } from './tools';
import { type ProcessResult, runProcess } from '../support/process';

/** Our field manager for server-side apply. */
export const FIELD_MANAGER = 'bdda';

/**
 * Writes to `file` a kubeconfig for the cluster the `upstream` layer created (KARR), from its
 * state's outputs; tokens come from `aws eks get-token`.
 */
export async function writeKubeconfig(ctx: PlanContext, upstream: Layer, file: string): Promise<string> {
  const outputs = stateOutputs(await ctx.target.backend.getObject(ctx.env.naming.stateKey(upstream)));
  const need = ['cluster_name', 'cluster_endpoint', 'cluster_certificate_authority_data'];
  const missing = need.filter((k) => !outputs[k]);
  if (missing.length) {
    throw new BddaError(
      `${LABEL[upstream]}'s state for ${ctx.env.path} lacks the outputs ${missing.join(', ')}; apply ${LABEL[upstream]} first (npm run apply -- --env ${ctx.env.path}).`,
    );
  }
  const value = (k: string) => String(outputs[k].value);
  const name = value('cluster_name');
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: value('cluster_endpoint'), 'certificate-authority-data': value('cluster_certificate_authority_data') } }],
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: tools().aws,
            args: ['eks', 'get-token', '--cluster-name', name, '--region', ctx.env.config.aws.region],
            interactiveMode: 'Never',
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  writeFileAtomic(file, stringify(kubeconfig));
  return file;
}

export function runKubectl(args: string[], kubeconfig: string): Promise<ProcessResult> {
  return runProcess({ binary: tools().kubectl, ...TOOL_PROGRAMS.kubectl }, args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
}

/** kubectl diff's output without its temp-folder names and file times, so it is repeatable. */
export function normalizeKubectlDiff(text: string): string {
  return text
    .replace(/\/tmp\/(LIVE|MERGED)-\d+\//g, (_m, side: string) => `${side.toLowerCase()}/`)
    .replace(/^(---|\+\+\+) (\S+)\t.*$/gm, '$1 $2')
    .replace(/^diff -u -N .*\n/gm, '')
    .trim();
}

/** kubectl's client version (`kubectl version --client -o json`), e.g. `v1.32.4`. */
export async function kubectlVersion(): Promise<string> {
  const result = await runKubectl(['version', '--client', '-o', 'json'], '');
  if (result.code !== 0) throw new BddaError(`\`${tools().kubectl} version --client\` failed: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}
