/**
 * `npm run ci -- <build|commit-applied|role|matrix>`: the commands a CI pipeline calls. Any CI calls the
 * same ones; the workflows in .github/workflows/ contain nothing else.
 */
import * as fs from 'node:fs';
import { type Command, Option } from 'commander';
import type { CiBuildOptions } from '../ci/build';
import { parseShard } from '../ci/shard';
import { ciMatrix, environmentsOf } from '../ci/matrix';
import { BddaError } from '../../config/errors';
import { consoleProgress } from '../support/progress';
import { workspace } from '../support/workspace';

const envOption = () => new Option('-e, --env <name>', 'an environment (dev2, dev/dev2) or a tier (prod: all its leaves)');
const botOptions = (cmd: Command) =>
  cmd
    .option('--bot-name <name>', 'author of the bot commit (default: bot.name in environments/ci.yaml)')
    .option('--bot-email <email>', 'e-mail of the bot commit (default: bot.email in environments/ci.yaml)')
    .option('--remote <name>', 'the remote to push to', 'origin');

/** Adds `ci` to the program (through `program.command`, so that it inherits the program's error handling). */
export function addCiCommand(program: Command, setExitCode: (code: number) => void): void {
  const ci = program.command('ci').description('What a CI pipeline runs: build (plan and commit the diff back), commit-applied, role, matrix.');

  botOptions(
    ci
      .command('build')
      .description(
        'Build-Diff on the build server: plan the environment of this branch (--env, else the one claimed for the branch; on the main branch the tiers ' +
          'of planOnMain in environments/ci.yaml), commit the changed diff files as the bot, push to the branch, and write a Markdown summary.',
      )
      .addOption(envOption())
      .option('--all', 'every environment (drift detection)')
      .option('--shard <i/n>', 'with --all or a tier: only the i-th of n deterministic slices of its environments', parseShard)
      .option('--detailed-exitcode', 'after committing: exit 2 when a diff was written, 0 when in sync, 1 on errors')
      .option('--summary-file <file>', 'the Markdown summary for a PR comment', '.bdda/ci/summary.md'),
  ).action(async (opts: CiBuildOptions) => {
    // Loaded when run: the plan workflow is heavy, and `--help` or another command must not pay for it.
    const { ciBuild } = await import('../ci/build');
    const result = await ciBuild(workspace(), opts, consoleProgress());
    console.log(`ci build: ${result.outcome}; plan ${result.planSeconds.toFixed(1)}s, own work (git, summary) ${result.ownSeconds.toFixed(2)}s`);
    setExitCode(result.exitCode);
  });

  botOptions(
    ci
      .command('commit-applied')
      .description("After `apply --yes` in CI: commit the removal of the environment's diff files and push it to the branch.")
      .addOption(envOption().makeOptionMandatory()),
  ).action(async (opts: { env: string; botName?: string; botEmail?: string; remote?: string }) => {
    const { commitApplied } = await import('../ci/commit-applied');
    await commitApplied(workspace(), opts, consoleProgress());
  });

  ci.command('role')
    .description(
      'Print the IAM role CI assumes for an environment or tier (kubernetes.deployer.roleArn); with $GITHUB_OUTPUT set, write it there as role-arn (empty for emulated environments) with the region.',
    )
    .addOption(envOption().makeOptionMandatory())
    .action((opts: { env: string }) => {
      const { arn, region } = deployRole(workspace().root, opts.env);
      console.log(arn ? `${arn} (${region})` : '(none: emulated)');
      // The region only signs the STS call; each layer's provider has its own.
      if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `role-arn=${arn}\nregion=${region}\n`);
    });

  ci.command('matrix')
    .description(
      'Print the job matrix of the environments (default: planOnMain in environments/ci.yaml), one entry per environment with the runner label its ' +
        'ci.runnerLabel names (bdda when unset), as JSON {"include":[{environment,name,runner}]}; with $GITHUB_OUTPUT set, write it there as matrix ' +
        '(for fromJSON), and for one environment its label as runner. Two environments with a private API on one label are refused.',
    )
    .option('-e, --env <names...>', 'environments or tiers (prod: all its leaves)')
    .action((opts: { env?: string[] }) => {
      const entries = ciMatrix(workspace().root, opts.env);
      const matrix = JSON.stringify({ include: entries });
      console.log(matrix);
      if (process.env.GITHUB_OUTPUT) {
        const runner = entries.length === 1 ? `runner=${entries[0].runner}\n` : '';
        fs.appendFileSync(process.env.GITHUB_OUTPUT, `matrix=${matrix}\n${runner}`);
      }
    });
}

/** The one deploy role of an environment or of all a tier's leaves; empty when emulated. */
function deployRole(root: string, name: string): { arn: string; region: string } {
  const envs = environmentsOf(root, name);
  const roles = [...new Set(envs.map((e) => (e.config.emulated ? '' : (e.config.kubernetes.deployer.roleArn ?? ''))))];
  if (roles.length > 1)
    throw new BddaError(`The environments of ${name} assume different deploy roles (${roles.join(', ')}); run CI per environment (--env <leaf>).`);
  const missing = envs.find((e) => !e.config.emulated && !e.config.kubernetes.deployer.roleArn);
  if (missing) {
    throw new BddaError(
      `${missing.path} runs in a real account but sets no kubernetes.deployer.roleArn (the role CI assumes through OIDC); set it in ${missing.files[missing.files.length - 1]} or a parent.`,
    );
  }
  return { arn: roles[0], region: envs[0].config.aws.region };
}
