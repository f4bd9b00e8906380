/**
 * The environment hierarchy: folders under `environments/`, each with one `env.yaml`. A folder
 * with no sub-folder holding an `env.yaml` is a leaf, a deployable environment. A leaf's config is
 * the merge of every `env.yaml` from `environments/` down to it, validated whole.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors';
import { Naming } from './naming';
import { crossFieldProblems } from './checks';
import { isDns1123Label } from './kubernetes-rules';
import { fileForKey, mergeLevels } from './merge';
import { configFileExists, type Level, readLevel } from './read-level';
import { environmentConfigSchema, type EnvironmentConfig } from './schema';
import { environmentsNamed } from './tiers';

export const CONFIG_FILE = 'env.yaml';
export const ENVIRONMENTS_DIR = 'environments';

/** A deployable environment with its validated, merged config. */
export interface Environment {
  /** Path under `environments/`, e.g. `dev/dev2`. Names the diff folder and the state keys. */
  readonly path: string;
  /** The leaf folder's name, e.g. `dev2`. */
  readonly name: string;
  /** Absolute path of the leaf folder, where `changes.txt` is written. */
  readonly dir: string;
  /** The config files merged, root first, relative to the repository root. */
  readonly files: readonly string[];
  readonly config: EnvironmentConfig;
  readonly naming: Naming;
}

export interface EnvironmentRef {
  readonly path: string;
  readonly name: string;
}

/** Every leaf under `<root>/environments`, sorted by path. Fails on two leaves with one name. */
export function listEnvironments(root: string): EnvironmentRef[] {
  const base = path.join(root, ENVIRONMENTS_DIR);
  if (!configFileExists(path.join(base, CONFIG_FILE))) {
    throw new ConfigError([
      { file: `${ENVIRONMENTS_DIR}/${CONFIG_FILE}`, key: '', message: 'is missing; the hierarchy starts with the organisation defaults there' },
    ]);
  }
  const leaves: EnvironmentRef[] = [];
  const walk = (rel: string): void => {
    const children = fs
      .readdirSync(path.join(base, rel), { withFileTypes: true })
      .filter((d) => d.isDirectory() && configFileExists(path.join(base, rel, d.name, CONFIG_FILE)))
      .map((d) => d.name)
      .sort();
    if (children.length === 0 && rel !== '') leaves.push({ path: rel, name: path.basename(rel) });
    for (const child of children) walk(rel ? `${rel}/${child}` : child);
  };
  walk('');

  const problems: ConfigProblem[] = [];
  for (const leaf of leaves) {
    const twin = leaves.find((other) => other.name === leaf.name && other.path < leaf.path);
    if (twin)
      problems.push({ file: configFile(leaf.path), key: '', message: `leaf name "${leaf.name}" is also used by ${twin.path}; leaf names must be unique` });
    if (!isDns1123Label(leaf.name)) {
      problems.push({ file: configFile(leaf.path), key: '', message: `folder name "${leaf.name}" is not a valid DNS-1123 label; it names the cluster` });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return leaves;
}

/** Finds an environment by leaf name (`dev2`) or path (`dev/dev2`). */
function resolveEnvironment(root: string, query: string): EnvironmentRef {
  const known = listEnvironments(root);
  const named = environmentsNamed(known, query);
  if (!named.tier && named.leaves.length === 1) return named.leaves[0];
  const list = known.map((env) => env.path).join(', ');
  throw new ConfigError([
    {
      file: ENVIRONMENTS_DIR,
      key: '',
      message: named.tier
        ? `no environment "${query}": it is a tier (${named.leaves.map((m) => m.path).join(', ')}), and this command works on one environment. Pass one of them to --env.`
        : `no environment "${query}". Known environments: ${list}. Pass a leaf name or its path to --env.`,
    },
  ]);
}

/** Loads, merges and validates one environment. Throws a ConfigError naming file and key. */
export function loadEnvironment(root: string, query: string): Environment {
  const ref = resolveEnvironment(root, query);
  const segments = ref.path.split('/');
  const files = [CONFIG_FILE, ...segments.map((_, i) => `${segments.slice(0, i + 1).join('/')}/${CONFIG_FILE}`)]
    .map((rel) => `${ENVIRONMENTS_DIR}/${rel}`)
    .filter((rel) => configFileExists(path.join(root, rel)));
  const leafFile = configFile(ref.path);

  const levels = files.map((file) => readLevel(root, file));
  const merged = mergeLevels(levels);
  const parsed = environmentConfigSchema.safeParse(merged.value);
  if (!parsed.success) {
    throw new ConfigError(schemaProblems(parsed.error.issues, levels, merged, leafFile));
  }
  const config = parsed.data;
  const crossProblems = crossFieldProblems(config);
  if (crossProblems.length) {
    throw new ConfigError(crossProblems.map((p) => ({ file: fileForKey(merged.provenance, p.key, leafFile), key: p.key, message: p.message })));
  }
  return {
    path: ref.path,
    name: ref.name,
    dir: path.join(root, ENVIRONMENTS_DIR, ref.path),
    files,
    config,
    naming: new Naming(ref.path, config.aws.accountId),
  };
}

function configFile(envPath: string): string {
  return `${ENVIRONMENTS_DIR}/${envPath}/${CONFIG_FILE}`;
}

/**
 * The schema's complaints as problems to fix. A key no file sets is blamed on the leaf, which is
 * where an environment's own values go; a number or boolean where a string belongs gets a hint to
 * quote it, since YAML reads `1.30` as the number 1.3.
 */
function schemaProblems(
  issues: readonly z.core.$ZodIssue[],
  levels: readonly Level[],
  merged: ReturnType<typeof mergeLevels>,
  leafFile: string,
): ConfigProblem[] {
  const missing: string[] = [];
  const problems = issues.map((issue): ConfigProblem => {
    const key = formatKey(issue.path as ReadonlyArray<string | number>);
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const fullKey = unknownKeys.length === 1 ? (key ? `${key}.${unknownKeys[0]}` : unknownKeys[0]) : key;
    const value = valueAt(merged.value, issue.path as ReadonlyArray<PropertyKey>);
    if (issue.code === 'invalid_type' && value === undefined) {
      missing.push(fullKey);
      return { file: leafFile, key: fullKey, message: `is missing: no file in the chain (${levels.map((l) => l.file).join(', ')}) sets it; set it here` };
    }
    const file = fileForKey(merged.provenance, fullKey, leafFile);
    if (issue.code === 'invalid_type' && value === null) {
      return { file, key: fullKey, message: `has no value (YAML reads an empty value as null); give it one, or remove the key to keep the inherited value` };
    }
    if (issue.code === 'invalid_type' && issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
      const written = levels.find((l) => l.file === file)?.scalarSources.get(fullKey) ?? String(value);
      const name = fullKey
        .split('.')
        .pop()
        ?.replace(/\[\d+\]$/, '');
      return {
        file,
        key: fullKey,
        message: `expected a string, but YAML reads \`${written}\` as the ${typeof value} ${String(value)}; quote it: ${name}: "${written}"`,
      };
    }
    return { file, key: fullKey, message: issue.message };
  });
  const leaf = levels.find((l) => l.file === leafFile);
  if (missing.length && (!leaf || Object.keys(leaf.data).length === 0)) {
    problems.unshift({
      file: leafFile,
      key: '',
      message: `sets no keys, but an environment's leaf must set ${missing.join(', ')}, which no file above it sets`,
    });
  }
  return problems;
}

function valueAt(value: unknown, keys: ReadonlyArray<PropertyKey>): unknown {
  return keys.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), value);
}

function formatKey(parts: ReadonlyArray<string | number | symbol>): string {
  return parts.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}
