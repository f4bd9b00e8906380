/**
 * The cdktf entry point, for users of the cdktf CLI: `BDDA_ENV=dev2 cdktf synth`.
 * The workflow itself (`npm run synth|plan|apply`) does not go through here; it calls the same
 * `buildTerraformApp` in-process.
 */
import { loadEnvironment } from './config/load';
import { buildTerraformApp } from './bdda/workflow/synth-apps';

const query = process.env.BDDA_ENV;
if (!query) {
  console.error('Set BDDA_ENV to the environment to synthesize, e.g. BDDA_ENV=dev2 cdktf synth');
  process.exit(1);
}
// BDDA_ROOT, as for the CLI: a checkout of environments elsewhere (the bench's scratch copies).
buildTerraformApp(loadEnvironment(process.env.BDDA_ROOT || __dirname, query), process.env.CDKTF_OUTDIR ?? 'cdktf.out').synth();
