/**
 * The repository's CI settings, in `environments/ci.yaml` beside the root `env.yaml`. They are
 * not a key of the environment config: which tiers main plans, or who the bot is, belongs to the
 * repository, and a merged per-environment key would let a leaf set a value that means nothing
 * there. The file is optional; every key has a default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { type EnvironmentRef, ENVIRONMENTS_DIR, listEnvironments } from '../../config/load';
import { environmentsNamed } from '../../config/tiers';
import { ConfigError } from '../../config/errors';

const CI_CONFIG_FILE = `${ENVIRONMENTS_DIR}/ci.yaml`;

const ciConfigSchema = z
  .object({
    mainBranch: z.string().min(1).default('main').describe('The branch whose builds plan `planOnMain` and that releases deploy from.'),
    planOnMain: z
      .array(z.string().min(1))
      .default([])
      .describe('What a build of the main branch plans: tiers (a tier stands for all its leaves, e.g. prod) or environment paths.'),
    bot: z
      .object({
        name: z.string().min(1).default('bdda-bot').describe('Author and committer name of the diff commits.'),
        email: z.string().min(3).default('bdda-bot@users.noreply.github.com').describe('Author and committer e-mail of the diff commits.'),
      })
      .strict()
      .default({ name: 'bdda-bot', email: 'bdda-bot@users.noreply.github.com' }),
    pushAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(4)
      .describe('Pushes tried (fetching and rebasing between them) when the branch moved under the build.'),
  })
  .strict();

export type CiConfig = z.infer<typeof ciConfigSchema>;

export function loadCiConfig(root: string): CiConfig {
  const file = path.join(root, CI_CONFIG_FILE);
  let raw: unknown = {};
  if (fs.existsSync(file)) {
    try {
      raw = parse(fs.readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError([{ file: CI_CONFIG_FILE, key: '', message: `is not valid YAML: ${(err as Error).message.split('\n')[0]}` }]);
    }
  }
  const parsed = ciConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ file: CI_CONFIG_FILE, key: i.path.map(String).join('.'), message: i.message })));
  }
  return parsed.data;
}

/** The leaves `planOnMain` names, sorted and without duplicates; a name that matches nothing is an error. */
export function environmentsToPlanOnMain(root: string, config: CiConfig): EnvironmentRef[] {
  const leaves = listEnvironments(root);
  const named = config.planOnMain.map((name) => environmentsNamed(leaves, name).leaves);
  const problems = config.planOnMain
    .map((name, i) => ({ name, i, matches: named[i] }))
    .filter((entry) => entry.matches.length === 0)
    .map(({ name, i }) => ({
      file: CI_CONFIG_FILE,
      key: `planOnMain[${i}]`,
      message: `"${name}" is neither a tier nor an environment path; known environments: ${leaves.map((l) => l.path).join(', ')}`,
    }));
  if (problems.length) throw new ConfigError(problems);
  const wanted = new Set(named.flat().map((l) => l.path));
  return leaves.filter((l) => wanted.has(l.path));
}
