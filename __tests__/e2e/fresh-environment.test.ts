/**
 * The one path every push runs against the real terraform and the emulator: a fresh environment
 * (dev/dev2, nothing deployed) is planned, applied as reviewed, and planned again in sync
 * (`--detailed-exitcode` 0). The behaviour around it (refusals, locks, previews, records) is
 * the integration tier's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readChanges } from '../../bdda/diff/changes';
import { loadEnvironment } from '../../config/load';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';

const DEV2 = 'dev/dev2';
const suite = emulatedSuite({ port: testEmulatorPort(25340), env: DEV2 });
const captured = captureConsole();

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${captured.errors.join('\n')}\n${captured.logs.join('\n').slice(-4000)}`);
  }
}

const envDir = () => path.join(suite.root, 'environments', DEV2);

test('a fresh environment is planned, applied as reviewed, and then plans in sync', async () => {
  await expectRun(2, 'plan', '--env', DEV2, '--detailed-exitcode');
  expect(readChanges(envDir())?.record.layers.map((l) => [l.layer, l.status])).toEqual([
    ['flag', 'changes'],
    ['karr', 'preview'],
    ['goliath', 'changes'],
  ]);

  await expectRun(0, 'apply', '--env', DEV2);
  expect(captured.logs.join('\n')).toMatch(/every layer is deployed/);
  expect(fs.existsSync(path.join(envDir(), 'changes.txt'))).toBe(false);
  const naming = loadEnvironment(suite.root, DEV2).naming;
  expect(await suite.backend.getObject(naming.stateKey('karr'))).toContain('aws_eks_cluster');
  expect(await suite.backend.getObject(naming.stateKey('goliath'))).toMatch(/kind: ResourceQuota/);

  await expectRun(0, 'plan', '--env', DEV2, '--detailed-exitcode');
  expect(captured.logs.join('\n')).toMatch(/in sync/);
  expect(readChanges(envDir())).toBeUndefined();
});
