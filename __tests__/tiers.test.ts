/**
 * The one tier resolution (config/tiers.ts): what `--env <name>` and ci.yaml's planOnMain stand
 * for. A tier stands for its leaves; any other name is one leaf by path or leaf name.
 */
import type { EnvironmentRef } from '../config/load';
import { loadEnvironment } from '../config/load';
import { environmentsNamed } from '../config/tiers';
import { REPO_ROOT } from './support/scratch';

const leaf = (p: string): EnvironmentRef => ({ path: p, name: p.slice(p.lastIndexOf('/') + 1) });
const LEAVES = ['dev/dev1', 'dev/dev2', 'prod/eu1', 'prod/us1', 'staging/stg1', 'team/a/x1'].map(leaf);
const paths = (name: string) => environmentsNamed(LEAVES, name).leaves.map((l) => l.path);

test('a tier stands for all its leaves, with or without a trailing slash or the environments/ prefix', () => {
  expect(environmentsNamed(LEAVES, 'prod')).toEqual({ tier: true, leaves: [leaf('prod/eu1'), leaf('prod/us1')] });
  expect(paths('prod/')).toEqual(['prod/eu1', 'prod/us1']);
  expect(paths('environments/prod')).toEqual(['prod/eu1', 'prod/us1']);
});

test('a tier can be nested', () => {
  expect(environmentsNamed(LEAVES, 'team/a')).toEqual({ tier: true, leaves: [leaf('team/a/x1')] });
  expect(paths('team')).toEqual(['team/a/x1']);
});

test('a leaf is found by path or by name, and is not a tier', () => {
  expect(environmentsNamed(LEAVES, 'dev/dev2')).toEqual({ tier: false, leaves: [leaf('dev/dev2')] });
  expect(environmentsNamed(LEAVES, 'dev2')).toEqual({ tier: false, leaves: [leaf('dev/dev2')] });
});

test('a name that is only the start of a folder name names nothing', () => {
  expect(environmentsNamed(LEAVES, 'pro')).toEqual({ tier: false, leaves: [] });
  expect(environmentsNamed(LEAVES, 'dev/dev')).toEqual({ tier: false, leaves: [] });
});

test('a command that works on one environment refuses a tier, listing its leaves', () => {
  expect(() => loadEnvironment(REPO_ROOT, 'prod')).toThrow(/no environment "prod": it is a tier \(prod\/eu1, prod\/us1\)/);
});
