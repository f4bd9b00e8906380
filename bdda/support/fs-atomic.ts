/** Files are written whole or not at all: to a temporary file beside the target, then renamed. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Removes a file if it is there. */
export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}
