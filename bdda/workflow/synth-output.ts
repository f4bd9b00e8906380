/**
 * Where synthesis writes an environment's layers under its build folder, by layer name: a
 * terraform layer is the cdktf stack of that id, a Kubernetes layer one YAML stream.
 */
import * as path from 'node:path';
import type { Layer } from '../../config/naming';

export interface SynthOutput {
  /** The environment's build folder, `build/<env path>/`. */
  readonly outdir: string;
}

/** A terraform layer's working directory: cdktf writes the stack of id `<layer>` to `stacks/<layer>/cdk.tf.json`. */
export function terraformDir(synth: SynthOutput, layer: Layer): string {
  return path.join(synth.outdir, 'stacks', layer);
}

/** A Kubernetes layer's manifests, one multi-document YAML file. */
export function manifestFile(synth: SynthOutput, layer: Layer): string {
  return path.join(synth.outdir, layer, `${layer}.k8s.yaml`);
}
