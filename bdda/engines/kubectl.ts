/**
 * Goliath on a live cluster, through kubectl: a kubeconfig built from KARR's outputs, and
 * `kubectl diff --server-side` for the content of what the chart holds. Objects that left the
 * chart come from the manifest record, kubectl's inventory being the chart alone.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { LayerPlan } from '../diff/changes';
import { BddaError } from '../../config/errors';
import { writeFileAtomic } from '../support/fs-atomic';
import { diffManifests, objectAddress, parseManifests } from '../diff/kubernetes-diff';
import type { PlanContext } from '../workflow/context';
import { tools } from './tools';

/** Our field manager for server-side apply. */
export const FIELD_MANAGER = 'bdda';

/** Writes a kubeconfig for the cluster KARR created; tokens come from `aws eks get-token`. */
export async function writeKubeconfig(ctx: PlanContext): Promise<string> {
  const state = await ctx.target.backend.getObject(ctx.env.naming.stateKey('karr'));
  const outputs = (state ? (JSON.parse(state) as { outputs?: Record<string, { value: string }> }).outputs : undefined) ?? {};
  const need = ['cluster_name', 'cluster_endpoint', 'cluster_certificate_authority_data'];
  const missing = need.filter((k) => !outputs[k]);
  if (missing.length) {
    throw new BddaError(`KARR's state for ${ctx.env.path} lacks the outputs ${missing.join(', ')}; apply KARR first (npm run apply -- --env ${ctx.env.path}).`);
  }
  const name = outputs.cluster_name.value;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: outputs.cluster_endpoint.value, 'certificate-authority-data': outputs.cluster_certificate_authority_data.value } }],
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: ['eks', 'get-token', '--cluster-name', name, '--region', ctx.env.config.aws.region],
            interactiveMode: 'Never',
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  const file = path.join(path.dirname(ctx.synth.goliathFile), 'kubeconfig');
  writeFileAtomic(file, stringify(kubeconfig));
  return file;
}

export function runKubectl(args: string[], kubeconfig: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools().kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new BddaError(`kubectl ("${tools().kubectl}") was not found. Install kubectl 1.27 or later, or set KUBECTL_BINARY.`) : err),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** kubectl diff's output without its temp-folder names and file times, so it is repeatable. */
function normalizeKubectlDiff(text: string): string {
  return text
    .replace(/\/tmp\/(LIVE|MERGED)-\d+\//g, (_m, side: string) => `${side.toLowerCase()}/`)
    .replace(/^(---|\+\+\+) (\S+)\t.*$/gm, '$1 $2')
    .replace(/^diff -u -N .*\n/gm, '')
    .trim();
}

export async function planGoliathLive(ctx: PlanContext, recorded: string | undefined): Promise<LayerPlan> {
  const kubeconfig = await writeKubeconfig(ctx);
  const result = await runKubectl(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', ctx.synth.goliathFile], kubeconfig);
  if (result.code > 1) throw new BddaError(`kubectl diff against ${ctx.env.naming.clusterName} failed: ${result.stderr.trim()}`);
  const body = normalizeKubectlDiff(result.stdout);
  const desired = new Set(parseManifests(fs.readFileSync(ctx.synth.goliathFile, 'utf8')).map(objectAddress));
  const leaving = parseManifests(recorded).filter((o) => !desired.has(objectAddress(o)));
  const deletions = leaving.length ? diffManifests(leaving.map((o) => stringify(o)).join('---\n'), '') : undefined;
  const actions: Record<string, string> = {};
  // Each object's diff starts with its +++ line; a first hunk from line 0 is a new object.
  for (const m of body.matchAll(/^\+\+\+ merged\/(\S+)\n@@ -(\d+)/gm)) actions[m[1]] = m[2] === '0' ? 'create' : 'update';
  for (const o of leaving) actions[objectAddress(o)] = 'delete';
  const count = (a: string) => Object.values(actions).filter((x) => x === a).length;
  const counts = { add: count('create'), change: count('update'), delete: count('delete') };
  const changed = Object.keys(actions).length;
  return {
    layer: 'goliath',
    engine: 'kubectl diff --server-side',
    status: changed ? 'changes' : 'no-changes',
    body: [body, deletions?.body].filter(Boolean).join('\n\n') || 'No changes. The cluster matches the chart.',
    summary: changed ? `GOLIATH: ${counts.add} to add, ${counts.change} to change, ${counts.delete} to delete.` : 'GOLIATH: no changes.',
    actions,
    counts,
  };
}
