/** Scratch checkouts for tests: a temp folder holding a copy of the shipped environments. */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A temp root with a copy of `environments/`; removed by `removeScratch`. */
export function makeScratch(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-test-'));
  fs.cpSync(path.join(REPO_ROOT, 'environments'), path.join(root, 'environments'), {
    recursive: true,
    filter: (src) => !/changes\.(txt|json)$/.test(src),
  });
  return root;
}

export function removeScratch(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}

/**
 * Every file under root with its content, to prove a failed command wrote nothing: byte-exact
 * (content that is not UTF-8 is kept as base64), and symbolic links as their target.
 */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out[`${rel}/`] = 'directory';
        walk(full);
      } else if (entry.isSymbolicLink()) {
        out[rel] = `symbolic link to ${fs.readlinkSync(full)}`;
      } else {
        const bytes = fs.readFileSync(full);
        out[rel] = isUtf8(bytes) ? bytes.toString('utf8') : `bytes (base64): ${bytes.toString('base64')}`;
      }
    }
  };
  walk(root);
  return out;
}

/** Replaces text in a scratch file, failing loudly when the text is not there. */
export function editFile(root: string, rel: string, from: string | RegExp, to: string): void {
  const file = path.join(root, rel);
  const before = fs.readFileSync(file, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`${rel} does not contain ${String(from)}`);
  fs.writeFileSync(file, after);
}
