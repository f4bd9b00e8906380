/**
 * The layer list: the cake's layers in apply order, each with its engine and the layer whose
 * outputs it reads. Plan, apply, destroy and unlock loop over `layerEngines`; nothing else
 * names a layer. A new layer is one entry here (and its name in `LAYERS`, config/naming.ts).
 */
import type { Environment } from '../../config/load';
import { LAYERS, type Layer } from '../../config/naming';
import type { PlanContext } from '../workflow/context';
import type { LayerEngine } from './engine';
import { KubectlGoliathEngine } from './goliath-kubectl';
import { RecordedGoliathEngine } from './goliath-recorded';
import { TerraformLayerEngine } from './terraform';

interface LayerEntry {
  readonly layer: Layer;
  readonly label: string;
  /** The layer whose outputs it reads. @default none */
  readonly upstream?: Layer;
  readonly engine: (entry: LayerEntry, env: Environment) => LayerEngine;
}

const terraform = (dir: (ctx: PlanContext) => string) => (e: LayerEntry) => new TerraformLayerEngine({ ...e, dir });

const LAYER_LIST: readonly LayerEntry[] = [
  { layer: 'flag', label: 'FLAG', engine: terraform((ctx) => ctx.synth.flagDir) },
  { layer: 'karr', label: 'KARR', upstream: 'flag', engine: terraform((ctx) => ctx.synth.karrDir) },
  {
    layer: 'goliath',
    label: 'GOLIATH',
    upstream: 'karr',
    // An emulated environment has no API server: its record of the last apply is the cluster.
    engine: (e, env) =>
      env.config.emulated ? new RecordedGoliathEngine(e.layer, e.label, e.upstream) : new KubectlGoliathEngine(e.layer, e.label, e.upstream),
  },
];

/** The engines of an environment's layers, in apply order. */
export function layerEngines(env: Environment): LayerEngine[] {
  return LAYER_LIST.map((entry) => entry.engine(entry, env));
}

/** The engine of one layer. */
export function layerEngine(env: Environment, layer: Layer): LayerEngine {
  const entry = LAYER_LIST.find((e) => e.layer === layer);
  if (!entry) throw new Error(`${layer} is not in the layer list (bdda/layers/index.ts)`);
  return entry.engine(entry, env);
}

/** How messages name each layer, e.g. `FLAG`. */
export const LABEL: Readonly<Record<Layer, string>> = Object.fromEntries(LAYER_LIST.map((e) => [e.layer, e.label])) as Record<Layer, string>;

/** The layer whose outputs each layer reads. */
export const UPSTREAM: Readonly<Partial<Record<Layer, Layer>>> = Object.fromEntries(LAYER_LIST.flatMap((e) => (e.upstream ? [[e.layer, e.upstream]] : [])));

/** The layers that read `layer`'s outputs directly. */
export function downstreamOf(layer: Layer): Layer[] {
  return LAYER_LIST.filter((e) => e.upstream === layer).map((e) => e.layer);
}

/** The terraform engines of an environment (for what only terraform has: adoption, orphans). */
export function terraformEngines(env: Environment): TerraformLayerEngine[] {
  return layerEngines(env).filter((e): e is TerraformLayerEngine => e instanceof TerraformLayerEngine);
}

// The list and the names the hierarchy knows (state keys, changes.json) must agree, in order.
if (LAYER_LIST.map((e) => e.layer).join() !== LAYERS.join()) throw new Error('bdda/layers/index.ts and LAYERS in config/naming.ts list different layers');
