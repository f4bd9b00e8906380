/**
 * The layer list: the cake's layers in apply order, each with its label, the layer whose outputs
 * it reads, and the kind of engine that plans it. Plan, apply, destroy
 * and unlock loop over its engines (bdda/layers/index.ts); nothing else names a layer. A new layer
 * is one entry here (and its name in `LAYERS`, config/naming.ts).
 *
 * It imports no engine, so the engines' own modules (orphans, state lock recovery) can read it
 * without an import cycle.
 */
import { LAYERS, type Layer } from '../../config/naming';
import { type SynthOutput, terraformDir } from '../workflow/synth-output';

export interface LayerEntry {
  readonly layer: Layer;
  readonly label: string;
  /** The layer whose outputs it reads. @default none */
  readonly upstream?: Layer;
  /**
   * Which engine plans and applies it (bdda/layers/index.ts picks the implementation): a cdktf
   * stack of id `<layer>` through terraform, or a cdk8s chart of Kubernetes objects.
   */
  readonly engine: 'terraform' | 'kubernetes';
}

export const LAYER_LIST = [
  { layer: 'flag', label: 'FLAG', engine: 'terraform' },
  { layer: 'karr', label: 'KARR', upstream: 'flag', engine: 'terraform' },
  { layer: 'goliath', label: 'GOLIATH', upstream: 'karr', engine: 'kubernetes' },
] as const satisfies readonly LayerEntry[];

/** How messages name each layer, e.g. `FLAG`. */
export const LABEL: Readonly<Record<Layer, string>> = Object.fromEntries(LAYER_LIST.map((e) => [e.layer, e.label])) as Record<Layer, string>;

/** The layer whose outputs each layer reads. */
export const UPSTREAM: Readonly<Partial<Record<Layer, Layer>>> = Object.fromEntries(
  LAYER_LIST.flatMap((e) => ('upstream' in e ? [[e.layer, e.upstream]] : [])),
);

/** The layers that read `layer`'s outputs directly. */
export function downstreamOf(layer: Layer): Layer[] {
  return LAYER_LIST.filter((e) => 'upstream' in e && e.upstream === layer).map((e) => e.layer);
}

type TerraformEntry = Extract<(typeof LAYER_LIST)[number], { readonly engine: 'terraform' }>;

/** A layer terraform plans: one with a state, whose resources carry a `layer` tag. */
export type TerraformLayer = TerraformEntry['layer'];

/** The layers terraform plans, in apply order. */
export const TERRAFORM_LAYERS: readonly TerraformLayer[] = LAYER_LIST.filter((e): e is TerraformEntry => e.engine === 'terraform').map((e) => e.layer);

/** The working directory of each terraform layer in a synthesis. */
export function terraformDirs(synth: SynthOutput): Record<TerraformLayer, string> {
  return Object.fromEntries(TERRAFORM_LAYERS.map((layer) => [layer, terraformDir(synth, layer)])) as Record<TerraformLayer, string>;
}

// The list and the names the hierarchy knows (state keys, changes.json) must agree, in order.
if (LAYER_LIST.map((e) => e.layer).join() !== LAYERS.join()) throw new Error('bdda/layers/list.ts and LAYERS in config/naming.ts list different layers');
