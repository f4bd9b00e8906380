/**
 * `npm run verify` whose smoke check fails (a FLAG output that does not exist is expected): it
 * exits 1, still destroys the throwaway environment, and leaves nothing behind. A second verify
 * from scratch, so it runs nightly; the passing verify is integration/ci-verify.test.ts.
 */
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { phaseLine, throwawayOf, verifySuite } from '../support/verify-harness';

const suite = verifySuite(testEmulatorPort(25880));
const captured = captureConsole();

test('with a deliberately broken smoke check verify exits 1, still tears down, and leaves nothing behind', async () => {
  const code = await runCli(captured, 'verify', '--expect-flag-output', 'no_such_output');
  expect(code).toBe(1);
  const { envPath } = throwawayOf(captured.logs);
  expect(phaseLine(captured.logs, 'smoke')).toMatch(/ FAIL .*FLAG's state lacks the outputs no_such_output/);
  expect(phaseLine(captured.logs, 'destroy')).toMatch(/ ok /);
  expect(phaseLine(captured.logs, 'leftovers')).toMatch(/ ok /);
  expect(captured.logs).toContainEqual(expect.stringMatching(new RegExp(`^verify: FAILED: ${envPath} .*\\(failed: smoke\\)$`)));
  expect(await suite.leftovers(envPath)).toEqual([]);
});
