/**
 * The provider a layer's plan shares between its terraform commands, with a stand-in provider: a
 * script that prints the line the AWS provider prints in debug mode and runs until SIGINT.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installedAwsProvider, withSharedProvider } from '../bdda/engines/shared-provider';
import { isAlive } from '../bdda/support/process-alive';
import { fakeAwsProviderDir, installFakeAwsProvider } from './support/fake-aws-provider';

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-shared-provider-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('the AWS provider init installed is found when it is the only provider of the layer', () => {
  expect(installedAwsProvider(dataDir)).toBeUndefined();
  const binary = installFakeAwsProvider(dataDir);
  expect(installedAwsProvider(dataDir)).toBe(binary);
  fs.mkdirSync(path.join(dataDir, 'providers', 'registry.terraform.io', 'hashicorp', 'tls', '4.0.0', 'linux_amd64'), { recursive: true });
  expect(installedAwsProvider(dataDir)).toBeUndefined();
});

test("the commands get the provider's TF_REATTACH_PROVIDERS, and the provider, started with the layer's environment, is stopped after them", async () => {
  installFakeAwsProvider(dataDir);
  let pid = 0;
  const result = await withSharedProvider(dataDir, { ...process.env, BDDA_TEST_MARK: 'layer-env' }, async (attach) => {
    const reattach = JSON.parse(attach.TF_REATTACH_PROVIDERS) as Record<string, { Pid: number }>;
    pid = reattach['registry.terraform.io/hashicorp/aws'].Pid;
    expect(isAlive(pid)).toBe(true);
    return 'planned';
  });
  expect(result).toBe('planned');
  expect(fs.readFileSync(path.join(fakeAwsProviderDir(dataDir), 'environment'), 'utf8').trim()).toBe('layer-env');
  // Not the layer's directory, where a process marks a terraform run as live.
  expect(fs.readFileSync(path.join(fakeAwsProviderDir(dataDir), 'cwd'), 'utf8')).toBe(fs.realpathSync(dataDir));
  expect(isAlive(pid)).toBe(false);
});

test('a failing command still stops the provider, and its error is what the caller sees', async () => {
  installFakeAwsProvider(dataDir);
  let pid = 0;
  await expect(
    withSharedProvider(dataDir, process.env, async (attach) => {
      pid = (JSON.parse(attach.TF_REATTACH_PROVIDERS) as Record<string, { Pid: number }>)['registry.terraform.io/hashicorp/aws'].Pid;
      throw new Error('terraform plan failed');
    }),
  ).rejects.toThrow('terraform plan failed');
  expect(pid).toBeGreaterThan(0);
  expect(isAlive(pid)).toBe(false);
});

test.each([
  ['BDDA_SHARED_PROVIDER=off', () => installFakeAwsProvider(dataDir), { BDDA_SHARED_PROVIDER: 'off' }],
  ['a provider that exits without listening', () => installFakeAwsProvider(dataDir, { announce: false }), {}],
  ['no provider installed', () => undefined, {}],
])('with %s, the commands start their own providers', async (_name, install, extra) => {
  install();
  const attach = await withSharedProvider(dataDir, { ...process.env, ...extra }, async (env) => env);
  expect(attach).toEqual({});
});

test('without a data directory (a destroy plan, which configures its provider twice), the commands start their own providers', async () => {
  installFakeAwsProvider(dataDir);
  expect(await withSharedProvider(undefined, process.env, async (env) => env)).toEqual({});
});
