/**
 * The one thing environment variables cannot say to terraform: path-style S3 addressing, which
 * the emulator needs (bucket host names under 127.0.0.1 do not resolve). Terraform merges
 * `*_override.tf.json` files over the configuration at run time, so emulated runs get this file
 * in their working directory while the synthesized `cdk.tf.json` stays the same for every
 * environment. Terraform replaces a backend block or an attribute whole, so the file repeats
 * the synthesized settings and adds `use_path_style`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeFile, writeFileAtomic } from '../support/fs-atomic';

export const OVERRIDE_FILE = 'bdda_emulator_override.tf.json';

interface SynthesizedCode {
  terraform?: { backend?: { s3?: Record<string, unknown> } };
  data?: { terraform_remote_state?: Record<string, { backend: string; config: Record<string, unknown> }> };
}

/** Writes (emulated) or removes (real) the override in a layer's working directory. */
export function syncEmulatorOverride(dir: string, emulated: boolean): void {
  const file = path.join(dir, OVERRIDE_FILE);
  if (!emulated) return removeFile(file);
  const code = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as SynthesizedCode;
  const override: SynthesizedCode = {};
  const backend = code.terraform?.backend?.s3;
  if (backend) override.terraform = { backend: { s3: { ...backend, use_path_style: true } } };
  const remote = code.data?.terraform_remote_state ?? {};
  if (Object.keys(remote).length) {
    override.data = {
      terraform_remote_state: Object.fromEntries(
        Object.entries(remote).map(([name, source]) => [name, { ...source, config: { ...source.config, use_path_style: true } }]),
      ),
    };
  }
  writeFileAtomic(file, `${JSON.stringify(override, null, 2)}\n`);
}
