/**
 * The engine of each layer of the layer list (bdda/layers/list.ts). Plan, apply, destroy and
 * unlock loop over `layerEngines`; nothing else names a layer.
 */
import type { Environment } from '../../config/load';
import type { Layer } from '../../config/naming';
import type { LayerEngine } from './engine';
import { KubectlGoliathEngine } from './goliath-kubectl';
import { RecordedGoliathEngine } from './goliath-recorded';
import { LAYER_LIST, type LayerEntry } from './list';
import { TerraformLayerEngine } from './terraform';

// What the workflow reads of the list, beside the engines.
export { downstreamOf, LABEL, UPSTREAM } from './list';

function engineOf(entry: LayerEntry, env: Environment): LayerEngine {
  const { layer, label, upstream } = entry;
  switch (entry.engine) {
    case 'terraform':
      return new TerraformLayerEngine({ layer, label, upstream });
    case 'kubernetes':
      // An emulated environment has no API server: its record of the last apply is the cluster.
      return env.config.emulated ? new RecordedGoliathEngine(layer, label, upstream) : new KubectlGoliathEngine(layer, label, upstream);
  }
}

/** The engines of an environment's layers, in apply order. */
export function layerEngines(env: Environment): LayerEngine[] {
  return LAYER_LIST.map((entry) => engineOf(entry, env));
}

/** The engine of one layer. */
export function layerEngine(env: Environment, layer: Layer): LayerEngine {
  const entry = LAYER_LIST.find((e) => e.layer === layer);
  if (!entry) throw new Error(`${layer} is not in the layer list (bdda/layers/list.ts)`);
  return engineOf(entry, env);
}
