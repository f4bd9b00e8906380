/**
 * A Kubernetes minor the EKS table keeps only for its support dates: the config check names the
 * key to change (`kubernetes.version`) and where that minor stands on the EKS calendar.
 */
import { crossFieldProblems } from '../config/checks';
import { loadEnvironment } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { REPO_ROOT } from './support/scratch';

const dev2 = loadEnvironment(REPO_ROOT, 'dev2').config;

function withVersion(version: string, addons: EnvironmentConfig['kubernetes']['addons'] = {}): EnvironmentConfig {
  return { ...dev2, kubernetes: { ...dev2.kubernetes, version, addons } };
}

test('an older minor gives one problem, on kubernetes.version, naming the minors to use', () => {
  const problems = crossFieldProblems(withVersion('1.33'), new Date('2026-01-15T00:00:00Z'));
  expect(problems).toHaveLength(1);
  expect(problems[0].key).toBe('kubernetes.version');
  expect(problems[0].message).toMatch(
    /^1\.33 is older than the minors this project deploys \(1\.34, 1\.35\) and still in EKS standard support until 2026-07-29;/,
  );
});

test('past standard support, the problem says so with the end of extended support', () => {
  const [problem] = crossFieldProblems(withVersion('1.31'), new Date('2026-01-15T00:00:00Z'));
  expect(problem.key).toBe('kubernetes.version');
  expect(problem.message).toContain('past EKS standard support since 2025-11-26 (extended support, at extra cost, until 2026-11-26)');
});

test('past extended support, the problem says EKS no longer supports it', () => {
  const [problem] = crossFieldProblems(withVersion('1.28'), new Date('2026-01-15T00:00:00Z'));
  expect(problem.key).toBe('kubernetes.version');
  expect(problem.message).toContain('past EKS support since 2025-11-26');
});
