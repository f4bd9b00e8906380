/**
 * Synthesizes an environment's layer cake into `build/<env>/`, or reuses what is there.
 *
 * Synthesis is a pure function of the program and the environment's merged config, and it costs
 * most of a command's start (loading cdktf and cdk8s, then building). So after each synthesis a
 * record is written beside the output: a key naming the compiled program (the launcher's build,
 * which covers every source file and package-lock.json) and the config, and a checksum of each
 * file written. The next command with the same key finds the same files and skips synthesis. A
 * changed source, config or dependency, or a file edited or deleted by hand, means a new synthesis.
 * Without a launcher build (ts-jest, ts-node) there is no key and every call synthesizes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { sha256 } from '../support/digest';
import { writeFileAtomic } from '../support/fs-atomic';
import { LAYER_LIST } from '../layers/list';
import { manifestFile, type SynthOutput, terraformDir } from './synth-output';

/** The record of the last synthesis, beside its output. */
const RECORD = 'synth-record.json';
/** Set by bdda/launcher.js to the hash of the compiled sources and the dependency lock file. */
const BUILD_VARIABLE = 'BDDA_BUILD';

interface SynthRecord {
  readonly key: string;
  /** Each file written, relative to the output folder, to its sha256. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Writes all three layers under `outdir` and says where. With `reuse`, an unchanged earlier
 * synthesis is kept as it is.
 */
export async function synthesize(env: Environment, outdir: string, opts: { reuse?: boolean } = {}): Promise<SynthOutput & { reused: boolean }> {
  const key = synthKey(env);
  if (opts.reuse && key && recordMatches(outdir, key)) return { outdir, reused: true };
  const recordFile = path.join(outdir, RECORD);
  // Gone before any file changes: a synthesis that stops half-way leaves no record to trust.
  fs.rmSync(recordFile, { force: true });
  const { writeLayerApps } = await import('./synth-apps');
  const where = writeLayerApps(env, outdir);
  if (key) {
    const files = layerFiles(where).map((l) => l.file);
    const record: SynthRecord = { key, files: Object.fromEntries(files.map((f) => [path.relative(outdir, f), sha256(fs.readFileSync(f))])) };
    writeFileAtomic(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  }
  return { ...where, reused: false };
}

/** The file each layer's synthesis writes, in the order of the layer list. */
export function layerFiles(synth: SynthOutput): Array<{ readonly label: string; readonly file: string }> {
  return LAYER_LIST.map((e) => ({
    label: e.label,
    file: e.engine === 'terraform' ? path.join(terraformDir(synth, e.layer), 'cdk.tf.json') : manifestFile(synth, e.layer),
  }));
}

function synthKey(env: Environment): string | undefined {
  const build = process.env[BUILD_VARIABLE];
  if (!build) return undefined;
  return sha256(JSON.stringify({ build, path: env.path, config: env.config }));
}

function recordMatches(outdir: string, key: string): boolean {
  let record: SynthRecord;
  try {
    record = JSON.parse(fs.readFileSync(path.join(outdir, RECORD), 'utf8')) as SynthRecord;
  } catch {
    return false; // no record, or an unreadable one: synthesize
  }
  if (record.key !== key || typeof record.files !== 'object') return false;
  return Object.entries(record.files).every(([file, sum]) => {
    const full = path.join(outdir, file);
    return fs.existsSync(full) && sha256(fs.readFileSync(full)) === sum;
  });
}
