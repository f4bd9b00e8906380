/**
 * Deployment records end to end: the real terraform against a private emulator, in a scratch
 * root that is a git repository, one environment (dev/dev2) built up in order:
 *
 * 1. plan (KARR a preview against FLAG's planned outputs); alice claims dev2; bob's apply is
 *    refused, then goes through with --force, deploying the three layers in one round (recorded,
 *    KARR as reviewed through its preview).
 * 2. alice (the holder) plans and applies a team quota change: a second record, and `current`
 *    moves to it.
 * 3. a tag change planned for FLAG and previewed for KARR, applied with KARR's apply made to fail:
 *    the record is marked failed and lists FLAG only, which was deployed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { currentPointerKey, type DeploymentRecord, listDeployments, readPointer } from '../../bdda/ledger/records';
import { captureConsole, restoreEnv, runCliAs } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';
import { commitAll, git } from '../support/git-scratch';
import { editFile } from '../support/scratch';

const PORT = testEmulatorPort(25720);
const DEV2 = 'dev/dev2';
const FAILING_TERRAFORM = path.join(__dirname, '..', 'support', 'failing-terraform.js');

const suite = emulatedSuite({ port: PORT, env: DEV2, git: true, restore: ['BDDA_USER', 'TERRAFORM_BINARY', 'FAIL_TF_APPLY_IN'] });
const captured = captureConsole();

const runAs = (user: string, expected: number, ...args: string[]) => runCliAs(captured, user, expected, ...args);

const errorText = () => captured.errors.join('\n');
const head = () => git(suite.root, 'rev-parse', 'HEAD').trim();
const records = () => listDeployments(suite.backend, DEV2, 100);
const layersOf = (r: DeploymentRecord) => r.layers.map((l) => l.layer);
const changesTxt = () => path.join(suite.root, 'environments', DEV2, 'changes.txt');
const diffExists = () => fs.existsSync(changesTxt());

describe('deployment records of dev/dev2', () => {
  test("bob's apply while alice holds dev2 is refused; with --force it deploys all three layers and the record says forced over alice's claim", async () => {
    await runAs('alice', 0, 'plan', '--env', DEV2);
    expect(fs.readFileSync(changesTxt(), 'utf8')).toMatch(/^KARR: [1-9]\d* to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\.$/m);
    commitAll(suite.root, 'the reviewed diff of dev2');
    await runAs('alice', 0, 'claim', '--env', DEV2, '--for', '1h');

    await runAs('bob', 1, 'apply', '--env', DEV2);
    expect(errorText()).toContain('claimed by alice');
    expect(await records()).toEqual([]);

    await runAs('bob', 0, 'apply', '--env', DEV2, '--force');
    const [first, ...rest] = await records();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      environment: DEV2,
      operation: 'apply',
      status: 'succeeded',
      who: 'bob',
      forced: true,
      overrodeClaimOf: 'alice',
      sha: head(),
      branch: 'main',
    });
    // One round: FLAG, then KARR on the strength of its reviewed preview, then GOLIATH.
    expect(layersOf(first)).toEqual(['flag', 'karr', 'goliath']);
    expect(diffExists()).toBe(false);
    const [flag, karr, goliath] = first.layers;
    expect(flag.summary).toMatch(/^FLAG: \d+ to add, 0 to change, 0 to destroy\.$/);
    expect(flag.reviewed).toBeUndefined();
    expect(karr.summary).toMatch(/^KARR: [1-9]\d* to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\.$/);
    expect(karr.reviewed).toBe('preview');
    expect(goliath.reviewed).toBeUndefined();
    expect(Date.parse(first.endedAt)).toBeGreaterThanOrEqual(Date.parse(first.startedAt));
    expect(first.tools.terraform).toMatch(/^\d+\.\d+\.\d+/);
    expect((await readPointer(suite.backend, DEV2))?.current).toBe(first.key);
  });

  test("the holder's second apply writes a second record, not forced; current points at it and previous at the first", async () => {
    const [first] = await records();
    editFile(suite.root, 'environments/dev/env.yaml', 'quota: { cpu: "8", memory: 16Gi, pods: 50 }', 'quota: { cpu: "10", memory: 16Gi, pods: 50 }');
    await runAs('alice', 0, 'plan', '--env', DEV2);
    commitAll(suite.root, 'a bigger payments quota on dev');
    await runAs('alice', 0, 'apply', '--env', DEV2);
    const all = await records();
    expect(all).toHaveLength(2);
    const [second] = all;
    expect(second.key).not.toBe(first.key);
    expect(second).toMatchObject({ who: 'alice', forced: false, status: 'succeeded' });
    expect(layersOf(second)).toEqual(['goliath']);
    expect(second.layers[0].summary).toBe('GOLIATH: 0 to add, 1 to change, 0 to delete.');
    expect(await readPointer(suite.backend, DEV2)).toEqual({ current: second.key, previous: first.key });

    await runAs('alice', 0, 'history', '--env', DEV2, '--json');
    const listed = JSON.parse(captured.logs.join('\n')) as Array<{ key: string; current: boolean }>;
    expect(listed.map((r) => r.key)).toEqual([second.key, first.key]);
    expect(listed.map((r) => r.current)).toEqual([true, false]);
    await runAs('alice', 0, 'history', '--env', DEV2, '--limit', '1');
    expect(captured.logs.join('\n')).toContain(second.sha.slice(0, 12));
    expect(captured.logs.join('\n')).toContain('current');
    expect(captured.logs.join('\n')).not.toContain('forced');
  });

  test('an apply whose KARR fails records the deployed FLAG, marked failed, and current points at it', async () => {
    expect(diffExists()).toBe(false); // the next diff is only the tag change
    const before = (await records()).length;

    editFile(suite.root, `environments/${DEV2}/env.yaml`, /^vpc:/m, 'tags:\n  purpose: ledger-test\n\nvpc:');
    await runAs('alice', 0, 'plan', '--env', DEV2);
    const summaries = fs.readFileSync(changesTxt(), 'utf8');
    expect(summaries).toMatch(/^FLAG: 0 to add, [1-9]\d* to change, 0 to destroy\.$/m);
    expect(summaries).toMatch(/^KARR: 0 to add, [1-9]\d* to change, 0 to destroy \(preview until FLAG is applied\)\.$/m);
    commitAll(suite.root, 'tag dev2');

    const terraformBefore = process.env.TERRAFORM_BINARY;
    process.env.TERRAFORM_BINARY = FAILING_TERRAFORM;
    process.env.FAIL_TF_APPLY_IN = 'stacks/karr';
    try {
      await runAs('alice', 1, 'apply', '--env', DEV2);
    } finally {
      restoreEnv('TERRAFORM_BINARY', terraformBefore);
      delete process.env.FAIL_TF_APPLY_IN;
    }
    expect(errorText()).toContain('made to fail by the test');
    const all = await records();
    expect(all).toHaveLength(before + 1);
    const [failed] = all;
    expect(failed).toMatchObject({ status: 'failed', who: 'alice', sha: head() });
    expect(layersOf(failed)).toEqual(['flag']);
    expect(failed.error).toBeTruthy();
    expect((await readPointer(suite.backend, DEV2))?.current).toBe(failed.key);
    // KARR is still to deploy: its real plan, which matched the preview and then failed to apply, took the preview's place.
    expect(fs.readFileSync(changesTxt(), 'utf8')).toMatch(/^KARR: 0 to add, [1-9]\d* to change, 0 to destroy\.$/m);
    expect(await suite.backend.objectExists(currentPointerKey(DEV2))).toBe(true);
  });
});
