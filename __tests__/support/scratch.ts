/** Scratch checkouts for tests: a temp folder holding a copy of the shipped environments. */
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

/** Every file under root with its content, to prove a failed command wrote nothing. */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(root, full)] = fs.readFileSync(full, 'utf8');
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
