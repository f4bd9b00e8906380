/**
 * `npm run verify` end to end against a private emulator: a throwaway environment built from
 * scratch, checked and removed, with nothing left behind. A verify whose check fails still tears
 * down: soak/verify-failure.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { snapshotTree } from '../support/scratch';
import { phaseLine, throwawayOf, verifySuite } from '../support/verify-harness';

const suite = verifySuite(testEmulatorPort(25710));
const captured = captureConsole();

test('verify builds a throwaway environment from scratch, checks it, removes it, and leaves nothing behind', async () => {
  const before = snapshotTree(path.join(suite.root(), 'environments'));
  const code = await runCli(captured, 'verify');
  expect(captured.errors).toEqual([]);
  expect(code).toBe(0);
  const { envPath, scratch } = throwawayOf(captured.logs);
  for (const phase of ['plan', 'apply', 'idempotent', 'smoke', 'destroy', 'leftovers']) {
    expect(phaseLine(captured.logs, phase)).toMatch(/ ok +\d+\.\ds {2}/);
  }
  expect(phaseLine(captured.logs, 'smoke')).toContain(`cluster ${envPath.replace('/', '-')} ACTIVE`);
  expect(captured.logs).toContainEqual(expect.stringMatching(new RegExp(`^verify: PASSED: ${envPath} built from scratch`)));
  expect(await suite.leftovers(envPath)).toEqual([]);
  expect(fs.existsSync(scratch)).toBe(false);
  expect(snapshotTree(path.join(suite.root(), 'environments'))).toEqual(before);
  expect(fs.readdirSync(os.tmpdir()).filter((d) => path.join(os.tmpdir(), d) === scratch)).toEqual([]);
});
