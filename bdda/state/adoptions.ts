/**
 * Pending adoptions: the terraform `import` blocks `npm run adopt` chose, kept in the
 * environment's folder as `imports.json` beside `changes.txt`, so that they are committed and
 * reviewed with the diff, and CI can apply an adoption made on another machine. Each plan copies
 * a layer's blocks into its terraform working directory as a generated `*.tf.json` file; apply
 * removes them once that layer is applied, when they are in the state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BddaError } from '../../config/errors';
import type { Layer } from '../../config/naming';
import { TERRAFORM_LAYERS } from '../layers/list';
import { removeFile, writeFileAtomic } from '../support/fs-atomic';
import { displayPath } from '../support/workspace';

/** The imports file in an environment's folder. */
export const IMPORTS_FILE = 'imports.json';

/** The generated copy of one layer's imports in its terraform working directory. */
const WORKING_DIR_FILE = 'bdda_adopt_imports.tf.json';

/** One terraform `import` block: the address in the code and the id of the resource in AWS. */
export interface ImportBlock {
  readonly to: string;
  readonly id: string;
}

/** By layer; only terraform layers import. */
type Imports = Partial<Record<Layer, readonly ImportBlock[]>>;

const importsSchema = z.strictObject(
  Object.fromEntries(TERRAFORM_LAYERS.map((layer) => [layer, z.array(z.strictObject({ to: z.string().min(1), id: z.string().min(1) })).optional()])),
);

/** The pending imports of an environment, by layer; none when the file is absent. */
function readImports(envDir: string): Imports {
  const file = path.join(envDir, IMPORTS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new BddaError(`${displayPath(file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, { cause: err });
  }
  const fix = `It is written by \`npm run adopt\`: restore it from git, or delete it and run adopt again.`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BddaError(`${displayPath(file)} is not valid JSON (${(err as Error).message}). ${fix}`, { cause: err });
  }
  const parsed = importsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.map(String).join('.');
    throw new BddaError(
      `${displayPath(file)}: ${key ? `${key}: ` : ''}${issue.message}; it holds, per layer (${TERRAFORM_LAYERS.join(', ')}), a list of {"to": "<address>", "id": "<id>"}. ${fix}`,
    );
  }
  return parsed.data as Imports;
}

/** A layer's pending import blocks. */
export function layerImports(envDir: string, layer: Layer): readonly ImportBlock[] {
  return readImports(envDir)[layer] ?? [];
}

/** Sets a layer's import blocks (none removes the layer; no layer left removes the file), then its working directory's copy. */
export function writeLayerImports(envDir: string, layer: Layer, blocks: readonly ImportBlock[], workingDir?: string): void {
  const file = path.join(envDir, IMPORTS_FILE);
  const all: Imports = { ...readImports(envDir), [layer]: blocks.length > 0 ? blocks : undefined };
  const kept = Object.fromEntries(TERRAFORM_LAYERS.flatMap((l) => (all[l]?.length ? [[l, all[l]]] : [])));
  if (Object.keys(kept).length === 0) removeFile(file);
  else writeFileAtomic(file, `${JSON.stringify(kept, null, 2)}\n`);
  if (workingDir) copyImportsToWorkingDir(envDir, layer, workingDir);
}

/** Writes a layer's import blocks into its terraform working directory, or removes them there when none are pending. */
export function copyImportsToWorkingDir(envDir: string, layer: Layer, workingDir: string): void {
  const blocks = layerImports(envDir, layer);
  const file = path.join(workingDir, WORKING_DIR_FILE);
  if (blocks.length === 0) return removeFile(file);
  const content = `${JSON.stringify({ import: blocks }, null, 2)}\n`;
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === content) return;
  writeFileAtomic(file, content);
}
