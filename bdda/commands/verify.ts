/** `npm run verify`: the release test on a throwaway environment (bdda/ci/verify.ts). */
import type { Command } from 'commander';
import { consoleProgress } from '../support/progress';
import { workspace } from '../support/workspace';

/** Adds `verify` to the program (through `program.command`, so that it inherits the program's error handling). */
export function addVerifyCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('verify')
    .description(
      'The release test from scratch: a throwaway emulated environment copied from --template is planned, applied, planned again (no change), ' +
        'smoke-checked, destroyed, and searched for leftovers. One line per phase with its time, then a verdict; exit 1 on failure, after tearing down.',
    )
    .option('--template <env>', 'the emulated environment whose config the throwaway copies (default: the first leaf of the dev tier)')
    .option('--keep', 'on failure, keep the environment and its scratch copy for inspection instead of tearing down')
    .option(
      '--expect-flag-output <name...>',
      'also require these FLAG outputs in the smoke check (a test hook: a name FLAG does not have makes verify fail, which shows it still tears down)',
    )
    .action(async (opts: { template?: string; keep?: boolean; expectFlagOutput?: string[] }) => {
      // Loaded when run, so that the CLI starts without the workflow's modules.
      const { verifyRelease } = await import('../ci/verify');
      const result = await verifyRelease(
        workspace(),
        { template: opts.template, keep: opts.keep, expectFlagOutputs: opts.expectFlagOutput },
        consoleProgress(),
      );
      setExitCode(result.ok ? 0 : 1);
    });
}
