/** The hex sha256 of text or bytes: the digests of the diff files and the synthesis record. */
import { createHash } from 'node:crypto';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
