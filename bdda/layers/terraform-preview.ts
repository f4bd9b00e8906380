/**
 * A terraform layer planned against its upstream's *planned* outputs, for a preview that people
 * review and nothing applies.
 *
 * The synthesized code is not touched. The plan runs in a scratch copy of the layer's working
 * directory, where one more override file points the `terraform_remote_state` of the upstream at
 * a local state file holding the preview outputs (bdda/diff/placeholders.ts). `TF_DATA_DIR` makes
 * terraform use the layer's own initialized `.terraform`, so nothing is installed again. The plan
 * takes no lock (`-lock=false`), and the scratch directory, plan file included, is removed at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Layer } from '../../config/naming';
import { BddaError } from '../../config/errors';
import { previewOutputs } from '../diff/placeholders';
import type { PlannedOutput, TerraformPlanJson } from '../diff/terraform-plan-json';
import { Terraform } from '../engines/terraform';
import { INTERRUPTED_EXIT_CODE } from '../support/interrupt';
import { PreviewUnavailable } from './engine';

/** The override file, named to sort after the emulator's so that its `config` wins. */
const PREVIEW_OVERRIDE_FILE = 'bdda_preview_override.tf.json';
const PREVIEW_STATE_FILE = 'preview-upstream.tfstate';

export interface PreviewRun {
  /** The layer's working directory, initialized. */
  readonly dir: string;
  /** The upstream's state key, which the layer's `terraform_remote_state` reads. */
  readonly upstreamStateKey: string;
  readonly upstream: Layer;
  readonly upstreamOutputs: Readonly<Record<string, PlannedOutput>>;
  /** Makes the terraform runner for a directory, with extra environment. */
  readonly terraform: (dir: string, env: Readonly<Record<string, string>>) => Terraform;
}

/** The scratch directory of a layer's preview, beside its working directory. */
function previewDir(dir: string): string {
  return `${dir}.preview`;
}

/** Plans the preview and returns plan's text, the plan as data, and the placeholders it used. */
export async function planPreview(
  run: PreviewRun,
): Promise<{ text: string; changes: boolean; seconds: number; shown?: TerraformPlanJson; placeholders: readonly string[] }> {
  const scratch = previewDir(run.dir);
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  try {
    for (const file of fs.readdirSync(run.dir)) {
      if (file.endsWith('.tf.json') || file === '.terraform.lock.hcl') fs.copyFileSync(path.join(run.dir, file), path.join(scratch, file));
    }
    const source = remoteStateOf(run.dir, run.upstreamStateKey);
    const outputs = previewOutputs(run.upstream, run.upstreamOutputs);
    const statePath = path.join(scratch, PREVIEW_STATE_FILE);
    fs.writeFileSync(statePath, JSON.stringify(localState(outputs.values)));
    const override = { data: { terraform_remote_state: { [source]: { backend: 'local', config: { path: statePath } } } } };
    fs.writeFileSync(path.join(scratch, PREVIEW_OVERRIDE_FILE), JSON.stringify(override, null, 2));

    const tf = run.terraform(scratch, { TF_DATA_DIR: path.join(path.resolve(run.dir), '.terraform') });
    try {
      const plan = await tf.planWithData(path.join(scratch, 'preview.tfplan'), { lock: false });
      return { ...plan, placeholders: outputs.placeholders };
    } catch (err) {
      // The provider refused a placeholder, or the plan failed for a reason of its own: no preview.
      if (err instanceof BddaError && err.exitCode !== INTERRUPTED_EXIT_CODE) throw new PreviewUnavailable(firstLines(err.message));
      throw err;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The name of the `terraform_remote_state` that reads the upstream's state object. */
function remoteStateOf(dir: string, stateKey: string): string {
  const code = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as {
    data?: { terraform_remote_state?: Record<string, { config?: { key?: string } }> };
  };
  const found = Object.entries(code.data?.terraform_remote_state ?? {}).find(([, source]) => source.config?.key === stateKey);
  if (!found) throw new PreviewUnavailable(`its code reads no terraform_remote_state of ${stateKey}`);
  return found[0];
}

/** A state file (format 4) holding nothing but outputs, as `terraform_remote_state` reads one. */
function localState(values: Readonly<Record<string, { value: unknown; sensitive: boolean }>>): unknown {
  const outputs = Object.fromEntries(
    Object.entries(values).map(([name, { value, sensitive }]) => [name, { value, type: ctyType(value), ...(sensitive ? { sensitive: true } : {}) }]),
  );
  return { version: 4, terraform_version: '1.0.0', serial: 1, lineage: 'bdda-preview', outputs, resources: [], check_results: null };
}

/** The type terraform records for a JSON value: a tuple for an array, an object for a map. */
function ctyType(value: unknown): unknown {
  if (typeof value === 'string' || value === null) return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return ['tuple', value.map(ctyType)];
  return ['object', Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, ctyType(v)]))];
}

function firstLines(message: string): string {
  return message
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 3)
    .join(' ')
    .replace(/\s+/g, ' ')
    .slice(0, 400);
}
