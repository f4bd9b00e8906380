/**
 * Synthesizes the whole layer cake of one environment: FLAG and KARR as Terraform JSON through one
 * cdktf app (KARR reads FLAG's outputs through one remote state of FLAG's state object), and
 * Goliath as one multi-document YAML file. Each layer is given its own projection of the config
 * (config/layer-inputs.ts), never the whole of it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App as Cdk8sApp, YamlOutputType } from 'cdk8s';
import { App } from 'cdktf';
import { GoliathChart } from '../../charts/goliath';
import { FlagStack } from '../../stacks/flag';
import { KarrStack } from '../../stacks/karr';
import { flagInputs, goliathInputs, karrInputs } from '../../config/layer-inputs';
import type { Environment } from '../../config/load';

export interface SynthOutput {
  /** Folder holding FLAG's `cdk.tf.json`; terraform runs here. */
  readonly flagDir: string;
  /** Folder holding KARR's `cdk.tf.json`. */
  readonly karrDir: string;
  /** Goliath's manifests, one YAML stream. */
  readonly goliathFile: string;
}

/** Builds FLAG and KARR in a cdktf app; `main.ts` uses the same function for `cdktf synth`. */
export function buildTerraformApp(env: Environment, outdir: string): App {
  const app = new App({ outdir, skipValidation: false });
  new FlagStack(app, flagInputs(env.config, env.naming));
  new KarrStack(app, karrInputs(env.config, env.naming));
  return app;
}

/** The YAML of the Goliath chart for an environment. */
export function synthesizeGoliath(env: Environment): string {
  const app = new Cdk8sApp({ outdir: path.join('/nonexistent'), yamlOutputType: YamlOutputType.FILE_PER_APP });
  new GoliathChart(app, 'goliath', goliathInputs(env.config, env.naming));
  return app.synthYaml();
}

/** Writes all three layers under `outdir` and says where. */
export function synthesize(env: Environment, outdir: string): SynthOutput {
  fs.mkdirSync(outdir, { recursive: true });
  buildTerraformApp(env, outdir).synth();
  const goliathFile = path.join(outdir, 'goliath', 'goliath.k8s.yaml');
  fs.mkdirSync(path.dirname(goliathFile), { recursive: true });
  fs.writeFileSync(goliathFile, synthesizeGoliath(env));
  return {
    flagDir: path.join(outdir, 'stacks', 'flag'),
    karrDir: path.join(outdir, 'stacks', 'karr'),
    goliathFile,
  };
}
