/**
 * The layer list: the cake's layers in apply order, each with its label, the layer whose outputs
 * it reads, and for a terraform layer the directory of its synthesized code. Plan, apply, destroy
 * and unlock loop over its engines (bdda/layers/index.ts); nothing else names a layer. A new layer
 * is one entry here (and its name in `LAYERS`, config/naming.ts).
 *
 * It imports no engine, so the engines' own modules (orphans, state lock recovery) can read it
 * without an import cycle.
 */
import { LAYERS, type Layer } from '../../config/naming';
import type { SynthOutput } from '../workflow/synth-output';

export interface LayerEntry {
  readonly layer: Layer;
  readonly label: string;
  /** The layer whose outputs it reads. @default none */
  readonly upstream?: Layer;
  /** Which engine plans and applies it (bdda/layers/index.ts picks the implementation). */
  readonly engine: 'terraform' | 'kubernetes';
  /** Where its synthesized terraform code is, for a terraform layer. @default none */
  readonly terraformDir?: (synth: SynthOutput) => string;
}

export const LAYER_LIST = [
  { layer: 'flag', label: 'FLAG', engine: 'terraform', terraformDir: (synth) => synth.flagDir },
  { layer: 'karr', label: 'KARR', upstream: 'flag', engine: 'terraform', terraformDir: (synth) => synth.karrDir },
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

type TerraformEntry = Extract<(typeof LAYER_LIST)[number], { readonly terraformDir: unknown }>;

/** A layer terraform plans: one with a state, whose resources carry a `layer` tag. */
export type TerraformLayer = TerraformEntry['layer'];

const TERRAFORM_ENTRIES = LAYER_LIST.filter((e): e is TerraformEntry => 'terraformDir' in e);

/** The layers terraform plans, in apply order. */
export const TERRAFORM_LAYERS: readonly TerraformLayer[] = TERRAFORM_ENTRIES.map((e) => e.layer);

/** The working directory of each terraform layer in a synthesis. */
export function terraformDirs(synth: SynthOutput): Record<TerraformLayer, string> {
  return Object.fromEntries(TERRAFORM_ENTRIES.map((e) => [e.layer, e.terraformDir(synth)])) as Record<TerraformLayer, string>;
}

// The list and the names the hierarchy knows (state keys, changes.json) must agree, in order.
if (LAYER_LIST.map((e) => e.layer).join() !== LAYERS.join()) throw new Error('bdda/layers/list.ts and LAYERS in config/naming.ts list different layers');
