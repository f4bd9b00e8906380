/** Where synthesis writes an environment's three layers, under its build folder. */
import * as path from 'node:path';

export interface SynthOutput {
  /** Folder holding FLAG's `cdk.tf.json`; terraform runs here. */
  readonly flagDir: string;
  /** Folder holding KARR's `cdk.tf.json`. */
  readonly karrDir: string;
  /** Goliath's manifests, one YAML stream. */
  readonly goliathFile: string;
}

export function synthOutput(outdir: string): SynthOutput {
  return {
    flagDir: path.join(outdir, 'stacks', 'flag'),
    karrDir: path.join(outdir, 'stacks', 'karr'),
    goliathFile: path.join(outdir, 'goliath', 'goliath.k8s.yaml'),
  };
}
