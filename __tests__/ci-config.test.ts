/** environments/ci.yaml: what main plans, who the bot is; errors name the file and the key. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentsToPlanOnMain, loadCiConfig } from '../bdda/ci/ci-config';
import { ConfigError } from '../config/errors';
import { makeScratch, removeScratch } from './support/scratch';

let root: string;
beforeEach(() => (root = makeScratch()));
afterEach(() => removeScratch(root));
const write = (text: string) => fs.writeFileSync(path.join(root, 'environments', 'ci.yaml'), text);

test('the shipped ci.yaml makes main plan every leaf of staging and prod', () => {
  expect(environmentsToPlanOnMain(root, loadCiConfig(root)).map((e) => e.path)).toEqual(['prod/eu1', 'prod/us1', 'staging/stg1']);
});

test('without ci.yaml every key has its default and main plans nothing', () => {
  fs.rmSync(path.join(root, 'environments', 'ci.yaml'));
  expect(loadCiConfig(root)).toEqual({
    mainBranch: 'main',
    planOnMain: [],
    bot: { name: 'bdda-bot', email: 'bdda-bot@users.noreply.github.com' },
    pushAttempts: 4,
  });
});

test('a planOnMain entry that is neither a tier nor an environment is an error naming the file, the key and the known environments', () => {
  write('planOnMain: [staging, qa]\n');
  expect(() => environmentsToPlanOnMain(root, loadCiConfig(root))).toThrow(ConfigError);
  expect(() => environmentsToPlanOnMain(root, loadCiConfig(root))).toThrow(
    /^environments\/ci\.yaml: planOnMain\[1\]: "qa" is neither a tier nor an environment path; known environments: dev\/dev1, /,
  );
});

test('an unknown key is an error naming the file', () => {
  write('planOnMian: [prod]\n');
  expect(() => loadCiConfig(root)).toThrow(/^environments\/ci\.yaml: .*planOnMian/);
});
