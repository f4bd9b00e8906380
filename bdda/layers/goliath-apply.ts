/**
 * Applying and deleting Goliath. On a live cluster: server-side apply with our own field manager,
 * then deletion of the objects that left the chart. Either way the manifest record in the state
 * bucket is updated last, so an interrupted apply leaves the old record and re-plans the rest.
 */
import * as fs from 'node:fs';
import { stringify } from 'yaml';
import { BddaError } from '../../config/errors';
import { objectAddress, parseManifests, type K8sObject } from '../diff/kubernetes-diff';
import { FIELD_MANAGER, runKubectl, writeKubeconfig } from '../engines/kubectl';
import { desiredManifests, type PlanContext } from '../workflow/context';

export async function applyGoliath(ctx: PlanContext): Promise<void> {
  const desired = desiredManifests(ctx);
  const key = ctx.env.naming.stateKey('goliath');
  if (!ctx.env.config.emulated) {
    const kubeconfig = await writeKubeconfig(ctx);
    const applied = await runKubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', ctx.synth.goliathFile], kubeconfig);
    if (applied.code !== 0) throw new BddaError(`kubectl apply to ${ctx.env.naming.clusterName} failed: ${applied.stderr.trim()}`);
    applied.stdout.split('\n').filter(Boolean).forEach(ctx.progress.passthrough);
    const wanted = new Set(parseManifests(desired).map(objectAddress));
    const leaving = parseManifests(await ctx.target.backend.getObject(key)).filter((o) => !wanted.has(objectAddress(o)));
    await deleteObjects(ctx, kubeconfig, leaving);
  }
  await ctx.target.backend.putObject(key, desired, 'application/yaml');
}

/** Deletes every recorded Goliath object, for `destroy`. */
export async function destroyGoliath(ctx: PlanContext): Promise<void> {
  const key = ctx.env.naming.stateKey('goliath');
  if (!ctx.env.config.emulated) {
    const recorded = parseManifests(await ctx.target.backend.getObject(key));
    if (recorded.length) await deleteObjects(ctx, await writeKubeconfig(ctx), recorded.reverse());
  }
  await ctx.target.backend.deleteObject(key);
}

async function deleteObjects(ctx: PlanContext, kubeconfig: string, objects: readonly K8sObject[]): Promise<void> {
  if (objects.length === 0) return;
  const stream = objects.map((o) => stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } })).join('---\n');
  const file = `${ctx.synth.goliathFile}.delete.yaml`;
  fs.writeFileSync(file, stream);
  const deleted = await runKubectl(['delete', '--ignore-not-found', '--wait=false', '-f', file], kubeconfig);
  if (deleted.code !== 0) throw new BddaError(`kubectl delete on ${ctx.env.naming.clusterName} failed: ${deleted.stderr.trim()}`);
  deleted.stdout.split('\n').filter(Boolean).forEach(ctx.progress.passthrough);
}
