/**
 * Goliath on a live cluster, through kubectl: `kubectl diff --server-side` for the content of
 * what the chart holds (objects in namespaces the cluster does not have yet shown as created,
 * bdda/engines/kubectl-namespaces.ts), server-side apply with our own field manager (namespaces
 * and other cluster-scoped objects first, then what lives in them), then deletion of the
 * objects that left the chart (those come from the manifest record, kubectl's inventory being the
 * chart alone). The record in the state bucket is updated last, so an interrupted apply leaves
 * the old record and re-plans the rest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { BddaError } from '../../config/errors';
import type { Layer } from '../../config/naming';
import { type LayerPlan, layerPlan } from '../diff/changes';
import { diffManifests, type K8sObject, kubectlDiffName, objectAddress, objectChange, parseManifests } from '../diff/kubernetes-diff';
import { FIELD_MANAGER, kubectlVersion, kubectlFailure, normalizeKubectlDiff, runKubectl, writeKubeconfig } from '../engines/kubectl';
import { checkLiveTools } from '../engines/live-tools';
import { applyPhases, byNamespacePresence, createdObjectsDiff, existingNamespaces, manifestStream } from '../engines/kubectl-namespaces';
import { writeFileAtomic } from '../support/fs-atomic';
import type { PlanContext } from '../workflow/plan-context';
import { manifestFile } from '../workflow/synth-output';
import type { DestroyPlan, LayerEngine, UpstreamForPreview } from './engine';
import { desiredManifests, manifestPlan, recordedDestroyPlan, recordedManifests, timedPlan } from './goliath-recorded';

export class KubectlGoliathEngine implements LayerEngine {
  readonly planEngine = 'kubectl diff --server-side';
  /** The kubeconfig is built from KARR's outputs. */
  readonly waitsForUpstream = true;

  constructor(
    readonly layer: Layer,
    readonly label: string,
    readonly upstream?: Layer,
  ) {}

  plan(ctx: PlanContext): Promise<LayerPlan> {
    return timedPlan(ctx, this, async () => this.diff(ctx, await recordedManifests(ctx, this.layer)));
  }

  /**
   * Before KARR has a cluster, the whole chart as additions (an empty cluster has nothing else);
   * on a cluster that exists, the usual diff against it.
   */
  preview(ctx: PlanContext, upstream: UpstreamForPreview): Promise<LayerPlan> {
    const preview = { upstream: upstream.engine.layer, placeholders: [] };
    if (upstream.applied) return this.plan(ctx).then((plan) => ({ ...plan, preview }));
    return timedPlan(ctx, this, async () => ({ ...manifestPlan(this, undefined, desiredManifests(ctx, this.layer)), preview }));
  }

  /**
   * The plan against the cluster, given the record of the last apply. Objects in a namespace the
   * cluster does not have yet are shown as created: the server's dry run would refuse them.
   */
  async diff(ctx: PlanContext, recorded: string | undefined): Promise<LayerPlan> {
    const kubeconfig = await this.kubeconfig(ctx);
    const clusterName = ctx.env.naming.clusterName;
    const manifest = manifestFile(ctx.synth, this.layer);
    const desired = parseManifests(desiredManifests(ctx, this.layer));
    const byDiffName = new Map(desired.map((o) => [kubectlDiffName(o), o]));
    const recordedObjects = new Map(parseManifests(recorded).map((o) => [objectAddress(o), o]));
    const { onCluster, inNewNamespaces } = byNamespacePresence(desired, await existingNamespaces(kubeconfig, clusterName));
    let serverDiff = '';
    if (onCluster.length) {
      let file = manifest;
      if (inNewNamespaces.length) {
        file = `${manifest}.on-cluster.yaml`;
        writeFileAtomic(file, manifestStream(onCluster));
      }
      const result = await runKubectl(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', file], kubeconfig);
      if (result.code > 1) throw kubectlFailure(ctx.env.config, `kubectl diff against ${clusterName}`, result.stderr);
      serverDiff = normalizeKubectlDiff(result.stdout);
    }
    const body = [serverDiff, createdObjectsDiff(inNewNamespaces)].filter(Boolean).join('\n');
    const wanted = new Set(desired.map(objectAddress));
    const leaving = [...recordedObjects.values()].filter((o) => !wanted.has(objectAddress(o)));
    const deletions = leaving.length ? diffManifests(leaving.map((o) => stringify(o)).join('---\n'), '') : undefined;
    // kubectl diffs each object the cluster would change, live against merged, from its +++ line;
    // a first hunk from line 0 means the live side is empty: the object does not exist yet.
    // Before is the recorded object, after the chart's.
    const changed = [...body.matchAll(/^\+\+\+ merged\/(\S+)\n@@ -(\d+)/gm)]
      .map((m) => ({ object: byDiffName.get(m[1]), live: m[2] !== '0' }))
      .filter((d): d is { object: K8sObject; live: boolean } => d.object !== undefined)
      .map(({ object, live }) => objectChange(live ? 'update' : 'create', recordedObjects.get(objectAddress(object)), object));
    const changes = [...changed, ...(deletions?.plan.changes ?? [])].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    return layerPlan({
      layer: this.layer,
      label: this.label,
      engine: this.planEngine,
      status: changes.length ? 'changes' : 'no-changes',
      body: [body, deletions?.body].filter(Boolean).join('\n\n') || 'No changes. The cluster matches the chart.',
      plan: { changes, outputs: [], drift: [] },
      removal: 'delete',
    });
  }

  /**
   * Server-side apply in two steps: namespaces and the other cluster-scoped objects, then the
   * objects that live in a namespace, so that a new namespace exists before what goes in it.
   */
  async apply(ctx: PlanContext): Promise<void> {
    const desired = desiredManifests(ctx, this.layer);
    const kubeconfig = await this.kubeconfig(ctx);
    for (const phase of applyPhases(parseManifests(desired))) {
      const file = `${manifestFile(ctx.synth, this.layer)}.${phase.name}.yaml`;
      writeFileAtomic(file, manifestStream(phase.objects));
      const applied = await runKubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', file], kubeconfig);
      if (applied.code !== 0)
        throw kubectlFailure(ctx.env.config, `kubectl apply of the ${phase.name} objects to ${ctx.env.naming.clusterName}`, applied.stderr);
      applied.stdout.split('\n').filter(Boolean).forEach(ctx.progress.passthrough);
    }
    const wanted = new Set(parseManifests(desired).map(objectAddress));
    const leaving = parseManifests(await recordedManifests(ctx, this.layer)).filter((o) => !wanted.has(objectAddress(o)));
    await deleteObjects(ctx, this.layer, kubeconfig, leaving);
    await ctx.target.backend.putObject(ctx.env.naming.stateKey(this.layer), desired, 'application/yaml');
  }

  planDestroy(ctx: PlanContext): Promise<DestroyPlan> {
    return recordedDestroyPlan(ctx, this);
  }

  /** Deletes every recorded object, in reverse order, then the record. */
  async destroy(ctx: PlanContext): Promise<void> {
    const recorded = parseManifests(await recordedManifests(ctx, this.layer));
    if (recorded.length) await deleteObjects(ctx, this.layer, await this.kubeconfig(ctx), recorded.reverse());
    await ctx.target.backend.deleteObject(ctx.env.naming.stateKey(this.layer));
  }

  /**
   * A kubeconfig for the cluster whose outputs the upstream layer's state holds, beside the
   * manifests, once the machine's AWS CLI and kubectl are known to fit the cluster.
   */
  private async kubeconfig(ctx: PlanContext): Promise<string> {
    if (!this.upstream) throw new Error(`${this.label} reaches its cluster through an upstream layer's outputs, and has none (bdda/layers/list.ts)`);
    await checkLiveTools(ctx.env.naming.clusterName, ctx.env.config.kubernetes.version);
    return writeKubeconfig(ctx, this.upstream, path.join(path.dirname(manifestFile(ctx.synth, this.layer)), 'kubeconfig'));
  }

  async outputs(): Promise<undefined> {
    return undefined;
  }

  /** kubectl's client version; none while kubectl is not installed (Goliath waiting for KARR needs none). */
  async versions(): Promise<Record<string, string>> {
    try {
      return { kubectl: await kubectlVersion() };
    } catch (err) {
      if (err instanceof BddaError) return {};
      throw err;
    }
  }
}

/** Deletes `objects` through a YAML file of their names, beside the layer's manifests. */
async function deleteObjects(ctx: PlanContext, layer: Layer, kubeconfig: string, objects: readonly K8sObject[]): Promise<void> {
  if (objects.length === 0) return;
  const stream = objects
    .map((o) => stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } }))
    .join('---\n');
  const file = `${manifestFile(ctx.synth, layer)}.delete.yaml`;
  fs.writeFileSync(file, stream);
  const deleted = await runKubectl(['delete', '--ignore-not-found', '--wait=false', '-f', file], kubeconfig);
  if (deleted.code !== 0) throw kubectlFailure(ctx.env.config, `kubectl delete on ${ctx.env.naming.clusterName}`, deleted.stderr);
  deleted.stdout.split('\n').filter(Boolean).forEach(ctx.progress.passthrough);
}
