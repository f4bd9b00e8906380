/**
 * `npm run claim` against a private emulator, in a scratch root that is a git repository: claims,
 * refusals naming the holder, expiry, renewal, release, the apply refusal for a non-holder, and
 * the lookup CI uses. The people are told apart by BDDA_USER. Nothing here runs terraform: the
 * refused apply stops at the claim, before any plan.
 */
import * as path from 'node:path';
import { loadEnvironment } from '../config/load';
import { claimedEnvironmentForBranch, claimKey, type Lease } from '../bdda/ledger/claims';
import { deploymentsPrefix } from '../bdda/ledger/records';
import { workspace } from '../bdda/support/workspace';
import { writeReviewedDiff } from './support/apply-harness';
import { captureConsole, runCliAs } from './support/cli-harness';
import { testEmulatorPort } from './support/emulated';
import { emulatedSuite } from './support/emulated-suite';
import { snapshotTree } from './support/scratch';

const PORT = testEmulatorPort(25320);
const DEV2 = 'dev/dev2';

const suite = emulatedSuite({ port: PORT, env: DEV2, git: true, restore: ['BDDA_USER'] });
const captured = captureConsole();

const runAs = (user: string, expected: number, ...args: string[]) => runCliAs(captured, user, expected, ...args);

const errorText = () => captured.errors.join('\n');
const lease = async (): Promise<Lease | undefined> => {
  const text = await suite.backend.getObject(claimKey(DEV2));
  return text === undefined ? undefined : (JSON.parse(text) as Lease);
};

describe('claims on dev/dev2', () => {
  test('alice claims dev2: the lease names her, the branch, the note and an expiry --for ahead', async () => {
    const before = Date.now();
    await runAs('alice', 0, 'claim', '--env', 'dev2', '--for', '2s', '--note', 'testing the VPC change');
    const held = await lease();
    expect(held).toMatchObject({ who: 'alice', branch: 'main', note: 'testing the VPC change' });
    const until = Date.parse(held!.until);
    expect(until).toBeGreaterThanOrEqual(before + 2000);
    expect(until).toBeLessThan(Date.now() + 2000 + 1000);
  });

  test("bob's claim while alice's is unexpired is refused, naming alice, her branch and the expiry; the lease is unchanged", async () => {
    const held = await lease();
    await runAs('bob', 1, 'claim', '--env', DEV2);
    expect(errorText()).toContain('claimed by alice');
    expect(errorText()).toContain('branch main');
    expect(errorText()).toContain(held!.until);
    expect(await lease()).toEqual(held);
  });

  test("once alice's claim has expired, bob takes it", async () => {
    const held = await lease();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(held!.until) - Date.now()) + 200));
    await runAs('bob', 0, 'claim', '--env', DEV2, '--for', '1h');
    expect(await lease()).toMatchObject({ who: 'bob', branch: 'main' });
  });

  test('bob claiming again renews: same since, later until, note kept', async () => {
    await runAs('bob', 0, 'claim', '--env', DEV2, '--for', '1h', '--note', 'first');
    const first = await lease();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runAs('bob', 0, 'claim', '--env', DEV2, '--for', '2h');
    const renewed = await lease();
    expect(captured.logs.join('\n')).toContain('renewed');
    expect(renewed!.since).toBe(first!.since);
    expect(Date.parse(renewed!.until)).toBeGreaterThan(Date.parse(first!.until));
    expect(renewed!.note).toBe('first');
  });

  test('CI finds the environment claimed for a branch, and none for another branch', async () => {
    expect(await claimedEnvironmentForBranch(workspace(suite.root), 'main')).toBe(DEV2);
    expect(await claimedEnvironmentForBranch(workspace(suite.root), 'feature/other')).toBeUndefined();
  });

  test("apply of dev2 by alice while bob holds it is refused with bob's name, and nothing is planned, applied or recorded", async () => {
    writeReviewedDiff(path.join(suite.root, 'environments', DEV2), DEV2, 2);
    const before = snapshotTree(path.join(suite.root, 'environments'));
    await runAs('alice', 1, 'apply', '--env', DEV2, '--yes');
    expect(errorText()).toContain('claimed by bob');
    expect(errorText()).toContain('--force');
    expect(snapshotTree(path.join(suite.root, 'environments'))).toEqual(before);
    expect(await suite.backend.getObject(loadEnvironment(suite.root, DEV2).naming.stateKey('flag'))).toBeUndefined();
    expect(await suite.backend.listKeys(deploymentsPrefix(DEV2))).toEqual([]);
    await runAs('alice', 1, 'destroy', '--env', DEV2, '--yes');
    expect(errorText()).toContain('claimed by bob');
  });

  test("alice cannot release bob's claim; with --force she can", async () => {
    await runAs('alice', 1, 'claim', '--env', DEV2, '--release');
    expect(errorText()).toContain('claimed by bob');
    expect((await lease())?.who).toBe('bob');
    await runAs('alice', 0, 'claim', '--env', DEV2, '--release', '--force');
    expect(await lease()).toBeUndefined();
  });

  test('bob claims and releases his own claim; releasing again says there is nothing to release', async () => {
    await runAs('bob', 0, 'claim', '--env', DEV2);
    expect((await lease())?.who).toBe('bob');
    await runAs('bob', 0, 'claim', '--env', DEV2, '--release');
    expect(await lease()).toBeUndefined();
    await runAs('bob', 0, 'claim', '--env', DEV2, '--release');
    expect(captured.logs.join('\n')).toContain('not claimed');
  });
});

describe('bad input to claim is refused with one paragraph and changes nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['--for abc', ['claim', '--env', DEV2, '--for', 'abc'], /--for is "abc", which is not a positive duration/],
    ['a negative --for', ['claim', '--env', DEV2, '--for', '-5m'], /not a positive duration/],
    ['a --for without a unit', ['claim', '--env', DEV2, '--for', '8'], /not a positive duration/],
    ['a --for above claimDuration.max', ['claim', '--env', DEV2, '--for', '30d'], /claimDuration\.max: 7d/],
    ['an unknown environment', ['claim', '--env', 'dev9'], /no environment "dev9"/],
    ['an environment without claims', ['claim', '--env', 'prod/us1'], /claims is not true/],
  ];
  test.each(cases)('%s', async (_name, args, message) => {
    const before = snapshotTree(path.join(suite.root, 'environments'));
    const leaseBefore = await lease();
    await runAs('carol', 1, ...args);
    expect(errorText()).toMatch(message);
    expect(errorText().trim().split('\n\n')).toHaveLength(1);
    expect(snapshotTree(path.join(suite.root, 'environments'))).toEqual(before);
    expect(await lease()).toEqual(leaseBefore);
  });
});

test('the claims flag is set on the dev tier only', () => {
  expect(loadEnvironment(suite.root, 'dev1').config.claims).toBe(true);
  expect(loadEnvironment(suite.root, 'stg1').config.claims).toBe(false);
});
