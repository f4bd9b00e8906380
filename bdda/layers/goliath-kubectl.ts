/**
 * Goliath on a live cluster, through kubectl: `kubectl diff --server-side` for the content of
 * what the chart holds, server-side apply with our own field manager, then deletion of the
 * objects that left the chart (those come from the manifest record, kubectl's inventory being the
 * chart alone). The record in the state bucket is updated last, so an interrupted apply leaves
 * the old record and re-plans the rest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { BddaError } from '../../config/errors';
import type { Layer } from '../../config/naming';
import type { LayerPlan } from '../diff/changes';
import { diffManifests, type K8sObject, kubectlDiffName, objectAddress, type ObjectAction, parseManifests } from '../diff/kubernetes-diff';
import { summaryLine } from '../diff/summary';
import { FIELD_MANAGER, kubectlFailure, kubectlVersion, normalizeKubectlDiff, runKubectl, writeKubeconfig } from '../engines/kubectl';
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

  /** The plan against the cluster, given the record of the last apply. */
  async diff(ctx: PlanContext, recorded: string | undefined): Promise<LayerPlan> {
    const kubeconfig = await this.kubeconfig(ctx);
    const result = await runKubectl(
      ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', manifestFile(ctx.synth, this.layer)],
      kubeconfig,
    );
    if (result.code > 1) throw kubectlFailure(ctx.env.config, `kubectl diff against ${ctx.env.naming.clusterName}`, result.stderr);
    const body = normalizeKubectlDiff(result.stdout);
    const desired = parseManifests(desiredManifests(ctx, this.layer));
    const addressOf = new Map(desired.map((o) => [kubectlDiffName(o), objectAddress(o)]));
    const wanted = new Set(desired.map(objectAddress));
    const leaving = parseManifests(recorded).filter((o) => !wanted.has(objectAddress(o)));
    const deletions = leaving.length ? diffManifests(leaving.map((o) => stringify(o)).join('---\n'), '') : undefined;
    const actions: Record<string, ObjectAction> = {};
    // Each object's diff starts with its +++ line; a first hunk from line 0 is a new object.
    for (const m of body.matchAll(/^\+\+\+ merged\/(\S+)\n@@ -(\d+)/gm)) actions[addressOf.get(m[1]) ?? m[1]] = m[2] === '0' ? 'create' : 'update';
    for (const o of leaving) actions[objectAddress(o)] = 'delete';
    const count = (a: ObjectAction) => Object.values(actions).filter((x) => x === a).length;
    const counts = { add: count('create'), change: count('update'), delete: count('delete') };
    const status = Object.keys(actions).length ? 'changes' : 'no-changes';
    return {
      layer: this.layer,
      engine: this.planEngine,
      status,
      body: [body, deletions?.body].filter(Boolean).join('\n\n') || 'No changes. The cluster matches the chart.',
      summary: summaryLine(this.label, { status, counts }),
      actions,
      counts,
    };
  }

  async apply(ctx: PlanContext): Promise<void> {
    const desired = desiredManifests(ctx, this.layer);
    const kubeconfig = await this.kubeconfig(ctx);
    const applied = await runKubectl(
      ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', manifestFile(ctx.synth, this.layer)],
      kubeconfig,
    );
    if (applied.code !== 0) throw kubectlFailure(ctx.env.config, `kubectl apply to ${ctx.env.naming.clusterName}`, applied.stderr);
    applied.stdout.split('\n').filter(Boolean).forEach(ctx.progress.passthrough);
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

  /** A kubeconfig for the cluster whose outputs the upstream layer's state holds, beside the manifests. */
  private kubeconfig(ctx: PlanContext): Promise<string> {
    if (!this.upstream) throw new Error(`${this.label} reaches its cluster through an upstream layer's outputs, and has none (bdda/layers/list.ts)`);
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
