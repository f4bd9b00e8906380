/**
 * The layer cake of one environment as code: FLAG and KARR as Terraform JSON through one cdktf app
 * (KARR reads FLAG's outputs through one remote state of FLAG's state object), and Goliath as one
 * multi-document YAML file. Each layer is given its own projection of the config
 * (config/layer-inputs.ts), never the whole of it.
 *
 * Loading cdktf, cdk8s and the provider bindings takes about half a second, so only synth.ts
 * loads this module, and only when the output has to be made again.
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
import { manifestFile, type SynthOutput } from './synth-output';

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

/**
 * Writes the three layers under `outdir`, where bdda/workflow/synth-output.ts says each layer is
 * (bdda/workflow/synth.ts reuses them when it can).
 */
export function writeLayerApps(env: Environment, outdir: string): SynthOutput {
  const out: SynthOutput = { outdir };
  fs.mkdirSync(outdir, { recursive: true });
  buildTerraformApp(env, outdir).synth();
  const goliath = manifestFile(out, 'goliath');
  fs.mkdirSync(path.dirname(goliath), { recursive: true });
  fs.writeFileSync(goliath, synthesizeGoliath(env));
  return out;
}
