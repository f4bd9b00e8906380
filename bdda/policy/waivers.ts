/**
 * Waivers: `environments/<env>/waivers.yaml`, the reviewed exceptions to policy rules. Each entry
 * names a rule, an address (exact, or a glob), why, who approved it and when it expires. The
 * file is read whole and refused whole: an expired, malformed or unknown-rule entry is an error
 * naming the file and the entry, so an exception never outlives its review silently. CODEOWNERS
 * asks the platform owners to approve changes to prod's file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import { parse } from 'yaml';
import { z } from 'zod';
import { BddaError } from '../../config/errors';
import { ENVIRONMENTS_DIR, type Environment } from '../../config/load';
import { ruleById } from '../../policies';
import { sha256 } from '../support/digest';

const WAIVERS_FILE = 'waivers.yaml';

const waiverSchema = z
  .object({
    rule: z.string().min(1).describe('The rule id, e.g. IMDSV2.'),
    address: z.string().min(1).describe('The address the finding names, exactly, or a glob (minimatch: `*` stops at `/`, `**` crosses it).'),
    reason: z.string().min(1).describe('Why the exception is acceptable, and until what.'),
    approvedBy: z.string().min(1).describe('Who approved it (a platform owner).'),
    expires: z.iso.date().describe('The last day it holds, YYYY-MM-DD (UTC).'),
  })
  .strict();

const fileSchema = z.object({ waivers: z.array(z.unknown()).default([]) }).strict();

export type Waiver = z.infer<typeof waiverSchema> & {
  /** The entry's position in the file, from 0. */
  readonly index: number;
};

export interface Waivers {
  /** The file, relative to the repository root, whether or not it exists. */
  readonly file: string;
  readonly entries: readonly Waiver[];
  /** sha256 of the file's bytes (of nothing when there is no file): a diff planned with other waivers is stale. */
  readonly digest: string;
}

/** The waivers of an environment; none when it has no file. `today` is for tests. */
export function readWaivers(env: Pick<Environment, 'dir' | 'path'>, today: Date = new Date()): Waivers {
  const file = `${ENVIRONMENTS_DIR}/${env.path}/${WAIVERS_FILE}`;
  const full = path.join(env.dir, WAIVERS_FILE);
  const bytes = fs.existsSync(full) ? fs.readFileSync(full) : undefined;
  if (bytes === undefined) return { file, entries: [], digest: sha256('') };
  const refuse = (problem: string) =>
    new BddaError(`${file}: ${problem}. Fix or remove the entry; changes to waivers are reviewed by the platform owners (.github/CODEOWNERS).`);

  let document: unknown;
  try {
    document = parse(bytes.toString('utf8')) ?? {};
  } catch (err) {
    throw refuse(`is not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const top = fileSchema.safeParse(document);
  if (!top.success) throw refuse('must be a mapping with one key, `waivers`, holding a list of entries (rule, address, reason, approvedBy, expires)');

  const todayDate = today.toISOString().slice(0, 10);
  const entries = top.data.waivers.map((raw, index): Waiver => {
    const rule = (raw as { rule?: unknown } | null)?.rule;
    const entry = `waivers[${index}]${typeof rule === 'string' ? ` (rule ${rule})` : ''}`;
    const parsed = waiverSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw refuse(`${entry}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
    }
    if (!ruleById(parsed.data.rule)) throw refuse(`${entry}: "${parsed.data.rule}" is not a policy rule (policies/index.ts lists them)`);
    if (parsed.data.expires < todayDate) throw refuse(`${entry}: expired on ${parsed.data.expires}; renew it with a new review, or fix what it waives`);
    return { ...parsed.data, index };
  });
  return { file, entries, digest: sha256(bytes) };
}

/** The waiver that covers a finding of `rule` at `address`, if any. */
export function waiverFor(waivers: Pick<Waivers, 'entries'>, rule: string, address: string): Waiver | undefined {
  return waivers.entries.find((w) => w.rule === rule && (w.address === address || minimatch(address, w.address, { dot: true })));
}
