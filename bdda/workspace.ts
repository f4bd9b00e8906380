/**
 * The folders the workflow uses inside a checkout. Tests point `root` at a scratch copy.
 */
import * as path from 'node:path';

export interface Workspace {
  /** The repository root, holding `environments/`. */
  readonly root: string;
  /** Git-ignored: synthesized code, terraform working directories, plan files. */
  readonly buildDir: string;
  /** Git-ignored: the emulator's pid, port and log. */
  readonly emulatorDir: string;
}

export function workspace(root = process.env.BDDA_ROOT || path.resolve(__dirname, '..')): Workspace {
  return {
    root,
    buildDir: path.join(root, 'build'),
    emulatorDir: path.join(root, '.bdda', 'emulator'),
  };
}

/** Where one environment's layers are synthesized and planned. */
export function environmentBuildDir(ws: Workspace, envPath: string): string {
  return path.join(ws.buildDir, envPath);
}
