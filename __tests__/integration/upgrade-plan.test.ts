/**
 * A one-minor Kubernetes upgrade plans as in-place updates, never as replacements: the real
 * terraform against a private emulator. dev/dev3 is deployed on 1.34, then its config moves to
 * 1.35 and the plan of that bump is read from changes.json.
 */
import { readChanges } from '../../bdda/diff/changes';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';
import { editFile } from '../support/scratch';

const PORT = testEmulatorPort(45790);
const DEV3 = 'dev/dev3';
const DEV3_YAML = `environments/${DEV3}/env.yaml`;

const suite = emulatedSuite({
  port: PORT,
  env: DEV3,
  prepare: (root) => editFile(root, DEV3_YAML, /^vpc:\n/m, 'kubernetes:\n  version: "1.34"\nvpc:\n'),
});
const captured = captureConsole();

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${captured.errors.join('\n')}\n${captured.logs.join('\n').slice(-4000)}`);
  }
}

/** The planned action of every address of a layer in the reviewed diff. */
function actions(layer: string): Record<string, string> {
  const record = readChanges(`${suite.root}/environments/${DEV3}`)?.record;
  return { ...record?.layers.find((l) => l.layer === layer)?.actions };
}

test('dev3 is deployed on Kubernetes 1.34', async () => {
  await expectRun(0, 'plan', '--env', DEV3);
  // A new environment is applied FLAG first; KARR's diff then comes for its own review.
  for (let round = 0; round < 3 && readChanges(`${suite.root}/environments/${DEV3}`); round++) await expectRun(0, 'apply', '--env', DEV3);
  expect(readChanges(`${suite.root}/environments/${DEV3}`)).toBeUndefined();
});

test('the bump to 1.35 updates the control plane and the node groups in place, and replaces nothing', async () => {
  editFile(suite.root, DEV3_YAML, 'version: "1.34"', 'version: "1.35"');
  await expectRun(2, 'plan', '--env', DEV3, '--detailed-exitcode');
  const karr = actions('karr');
  expect(karr['aws_eks_cluster.cluster']).toBe('update');
  const nodeGroups = Object.entries(karr).filter(([address]) => address.startsWith('aws_eks_node_group.'));
  expect(nodeGroups.length).toBeGreaterThan(0);
  for (const [, action] of nodeGroups) expect(action).toBe('update');
  expect(Object.entries(karr).filter(([, action]) => action === 'replace' || action === 'delete')).toEqual([]);
  expect(Object.keys(actions('flag'))).toEqual([]);
  // Goliath follows with the cluster-autoscaler of the new minor.
  expect(actions('goliath')['apps/v1 Deployment platform/cluster-autoscaler']).toBe('update');
});
