/**
 * The folders the workflow uses inside a checkout. Tests point `root` at a scratch copy.
 */
import * as path from 'node:path';

export interface Workspace {
  /** The repository root, holding `environments/`. */
  readonly root: string;
  /**
   * Synthesized code, terraform working directories, plan files: `BDDA_BUILD_DIR` (for a checkout
   * that cannot be written), else the git-ignored `build/` of the root.
   */
  readonly buildDir: string;
  /** Git-ignored: the emulator's pid, port and log. */
  readonly emulatorDir: string;
}

/**
 * The checkout this program's code belongs to. The launcher runs a compiled copy under
 * `build/js/<hash>/` and names the checkout in `BDDA_REPO`; from source it is two folders up.
 */
export function repoRoot(): string {
  return process.env.BDDA_REPO || path.resolve(__dirname, '..', '..');
}

export function workspace(root = process.env.BDDA_ROOT || repoRoot()): Workspace {
  return {
    root,
    buildDir: process.env.BDDA_BUILD_DIR ? path.resolve(process.env.BDDA_BUILD_DIR) : path.join(root, 'build'),
    emulatorDir: path.join(root, '.bdda', 'emulator'),
  };
}

/** Where one environment's layers are synthesized and planned. */
export function environmentBuildDir(ws: Workspace, envPath: string): string {
  return path.join(ws.buildDir, envPath);
}

/**
 * A path as messages show it: relative to the workspace root (`environments/dev/dev2/changes.txt`),
 * whatever the current directory, so that every message names a file the same way.
 */
export function displayPath(file: string, root = workspace().root): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}
