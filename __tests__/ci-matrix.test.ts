/**
 * CI's job matrix (`npm run ci -- matrix`): one entry per environment on the runner label its
 * config names, so that no job touches two private APIs, and the config checks that make a
 * private API name its runner and the people's path to it.
 */
import { ciMatrix } from '../bdda/ci/matrix';
import { BddaError } from '../config/errors';
import { loadEnvironment } from '../config/load';
import { editFile, makeScratch, removeScratch } from './support/scratch';

let root: string;
beforeEach(() => (root = makeScratch()));
afterEach(() => removeScratch(root));

test('main plans every environment of planOnMain in a job of its own, each private API on the runner in its own VPC', () => {
  expect(ciMatrix(root)).toEqual([
    { environment: 'prod/eu1', name: 'eu1', runner: 'bdda-prod-eu1' },
    { environment: 'prod/us1', name: 'us1', runner: 'bdda-prod-us1' },
    { environment: 'staging/stg1', name: 'stg1', runner: 'bdda' },
  ]);
});

test('a tier or a leaf gives its environments only', () => {
  expect(ciMatrix(root, ['prod']).map((e) => e.environment)).toEqual(['prod/eu1', 'prod/us1']);
  expect(ciMatrix(root, ['us1'])).toEqual([{ environment: 'prod/us1', name: 'us1', runner: 'bdda-prod-us1' }]);
});

test('two private APIs on one runner label are refused, naming both environments and the key', () => {
  editFile(root, 'environments/prod/eu1/env.yaml', 'runnerLabel: bdda-prod-eu1', 'runnerLabel: bdda-prod-us1');
  expect(() => ciMatrix(root, ['prod'])).toThrow(BddaError);
  expect(() => ciMatrix(root, ['prod'])).toThrow(/prod\/eu1 and prod\/us1 both name the runner label bdda-prod-us1 \(ci\.runnerLabel\)/);
});

describe('a real account with a private API', () => {
  const load = () => loadEnvironment(root, 'prod/us1');

  test('without a runner label is refused, naming the key and the leaf that should set it', () => {
    editFile(root, 'environments/prod/us1/env.yaml', /\nci:\n.*\n {2}runnerLabel: .*\n/, '\n');
    expect(load).toThrow(/environments\/prod\/us1\/env\.yaml: ci\.runnerLabel: is missing: the API is private/);
  });

  test("without an operators' path is refused, naming the key and saying what to add", () => {
    editFile(root, 'environments/prod/env.yaml', /\n {2}operatorAccess:\n {4}cidrs: .*\n/, '\n');
    expect(load).toThrow(/environments\/prod\/env\.yaml: kubernetes\.operatorAccess: gives people no way to the private API.*cidrs.*securityGroupIds/);
  });

  test('with a public API needs neither (staging reaches its API over the office range)', () => {
    expect(loadEnvironment(root, 'stg1').config.ci.runnerLabel).toBeUndefined();
    expect(loadEnvironment(root, 'stg1').config.kubernetes.operatorAccess).toEqual({ cidrs: [], securityGroupIds: [] });
  });

  test('an invalid runner label is refused by the schema', () => {
    editFile(root, 'environments/prod/us1/env.yaml', 'runnerLabel: bdda-prod-us1', 'runnerLabel: "bdda prod"');
    expect(load).toThrow(/ci\.runnerLabel: "bdda prod" is not a runner label/);
  });

  test('a state key in another region than the bucket is refused', () => {
    editFile(
      root,
      'environments/prod/us1/env.yaml',
      '  region: us-east-1\n\nci:',
      '  region: us-east-1\n  kmsKeyArn: arn:aws:kms:eu-west-1:345678901234:alias/state\n\nci:',
    );
    expect(load).toThrow(/backend\.kmsKeyArn: is a key in eu-west-1, but the state bucket is in us-east-1/);
  });
});
