#!/usr/bin/env node
/**
 * The bdda command line: `npm run <command> -- [options]`. Commander parses the arguments and
 * writes the help text; each command lives in a module of its own.
 */
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { Environment } from '../config/load';
import { parsePositiveInteger } from './support/cli-options';
import { parseShard } from './ci/shard';
import { describeFailure, installCrashHandlers } from './support/crash';
import { installInterruptHandlers, interruptSignal, INTERRUPTED_EXIT_CODE } from './support/interrupt';
// Only commander and light modules load at start-up; each action imports its implementation
// (AWS SDK clients, cdktf, cdk8s) when it runs, which esbuild compiles into a lazy require.
import type { PlanCommandOptions } from './commands/plan';
import { consoleProgress } from './support/progress';
import { TERRAFORM_LAYERS, type TerraformLayer } from './layers/list';
import { displayPath, environmentBuildDir, type Workspace, workspace } from './support/workspace';
import type { ClaimCommandOptions } from './commands/claim';
import type { HistoryCommandOptions } from './commands/history';
import { addCiCommand } from './commands/ci';
import { addVerifyCommand } from './commands/verify';
import type { SyncCommandOptions } from './commands/sync';
import type { CheckCommandOptions } from './commands/check';
import type { ReviewCommandOptions } from './commands/review';

/** Set by a command that finishes without throwing but has something to say in its exit code. */
let exitCode = 0;

const FORCE_HELP = 'go ahead although someone else has claimed the environment (recorded in the deployment record)';

const envOption = () => new Option('-e, --env <name>', 'environment: a leaf name (dev2) or its path (dev/dev2)');

function buildProgram(): Command {
  const program = new Command('bdda')
    .description('Build-Diff / Deploy-Apply for the FLAG, KARR and Goliath layers of each environment under environments/.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Through console.error, so that commander's own errors (a bad flag) go where ours go.
    .configureOutput({ writeErr: (text) => console.error(text.replace(/\n$/, '')) });

  program
    .command('list')
    .description('List the deployable environments.')
    .action(async () => {
      const { listEnvironments } = await import('../config/load');
      for (const env of listEnvironments(workspace().root)) console.log(env.path);
    });

  program
    .command('synth')
    .description('Synthesize FLAG and KARR (Terraform JSON) and Goliath (YAML) for one environment into build/.')
    .addOption(envOption().makeOptionMandatory())
    .action(async (opts: { env: string }) => {
      const [{ loadEnvironment }, { layerFiles, synthesize }] = await Promise.all([import('../config/load'), import('./workflow/synth')]);
      const ws = workspace();
      const env = loadEnvironment(ws.root, opts.env);
      const out = await synthesize(env, environmentBuildDir(ws, env.path));
      const rel = (p: string) => displayPath(p, ws.root);
      console.log(`Synthesized ${env.path} (${env.files.join(' + ')}):`);
      for (const { label, file } of layerFiles(out)) console.log(`  ${label.padEnd(8)} ${rel(file)}`);
    });

  program
    .command('plan')
    .description('Build-Diff: plan FLAG, KARR and GOLIATH with their real engines and write changes.txt and changes.json into the environment folder.')
    .addOption(envOption())
    .option('--all', 'plan every environment')
    .option('--concurrency <n>', 'environments planned at once with --all', parsePositiveInteger, 2)
    .option('--detailed-exitcode', 'exit 0 when in sync, 2 when there are changes, 1 on errors (like terraform)')
    .option('--shard <i/n>', 'with --all: only the i-th of n deterministic slices of the environments (a CI matrix)', parseShard)
    .action(async (opts: PlanCommandOptions) => {
      const { planCommand, renderTable } = await import('./commands/plan');
      const result = await planCommand(workspace(), opts, consoleProgress());
      if (opts.all) console.log(`\n${renderTable(result.runs)}`);
      exitCode = result.exitCode;
    });

  /** A command on one environment, taking --env and --yes. */
  const environmentCommand = (
    name: string,
    description: string,
    yesHelp: string,
    run: (ws: Workspace, env: Environment, yes: boolean, force: boolean) => Promise<unknown>,
  ) =>
    program
      .command(name)
      .description(description)
      .addOption(envOption().makeOptionMandatory())
      .option('-y, --yes', yesHelp)
      .action(async (opts: { env: string; yes?: boolean; force?: boolean }) => {
        const { loadEnvironment } = await import('../config/load');
        const ws = workspace();
        await run(ws, loadEnvironment(ws.root, opts.env), opts.yes === true, opts.force === true);
      });

  environmentCommand(
    'apply',
    'Deploy-Apply: verify the reviewed diff against a fresh plan, then apply it layer by layer (FLAG, KARR, GOLIATH), removing each section once deployed.',
    'do not ask; needed for protected environments when stdin is not a terminal',
    async (ws, env, yes, force) => (await import('./workflow/apply')).applyEnvironment(ws, env, { yes, force }, consoleProgress()),
  ).option('--force', FORCE_HELP);
  environmentCommand(
    'destroy',
    'Tear an environment down in reverse order (GOLIATH, KARR, FLAG), after showing what goes and asking for confirmation.',
    'do not ask for confirmation (needed when stdin is not a terminal)',
    async (ws, env, yes, force) => (await import('./workflow/destroy')).destroyEnvironment(ws, env, { yes, force }, consoleProgress()),
  ).option('--force', FORCE_HELP);
  environmentCommand(
    'unlock',
    "Break the locks a killed apply, destroy or plan left behind: the apply lock and terraform's state locks of FLAG and KARR.",
    'really break it (required)',
    async (ws, env, yes) => (await import('./commands/unlock')).unlockEnvironment(ws, env, yes),
  );

  program
    .command('adopt')
    .description(
      "Take resources that carry the environment's tags but are not in its terraform state (left by a run killed during apply) " +
        'into the state: writes terraform import blocks that the next plan shows as "will be imported". Those that match nothing ' +
        'in the code (a duplicate VPC) are listed, and deleted with --delete-unmatched.',
    )
    .addOption(envOption().makeOptionMandatory())
    .addOption(new Option('--layer <layer>', 'only this layer').choices([...TERRAFORM_LAYERS]))
    .option('--delete-unmatched', 'delete the resources that match no address in the code, after a typed confirmation')
    .option('-y, --yes', 'do not ask before deleting (needed with --delete-unmatched when stdin is not a terminal)')
    .action(async (opts: { env: string; layer?: TerraformLayer; deleteUnmatched?: boolean; yes?: boolean }) => {
      const [{ loadEnvironment }, { adoptEnvironment }] = await Promise.all([import('../config/load'), import('./commands/adopt')]);
      const ws = workspace();
      await adoptEnvironment(ws, loadEnvironment(ws.root, opts.env), {
        layer: opts.layer,
        deleteUnmatched: opts.deleteUnmatched === true,
        yes: opts.yes === true,
      });
    });

  program
    .command('check')
    .description(
      'Run the configuration policy rules (policies/) on the synthesized layers of an environment, without terraform or the emulator: ' +
        'one POLICY section per environment, then a summary. Exit 1 when an error is not waived in environments/<env>/waivers.yaml.',
    )
    .addOption(envOption())
    .option('--all', 'check every environment')
    .action(async (opts: CheckCommandOptions) => {
      const { checkCommand } = await import('./commands/check');
      exitCode = await checkCommand(workspace(), opts);
    });

  program
    .command('review')
    .description(
      "Write the review page of an environment's current diff (changes.json and each layer's typed plan) to build/review/ and print its path: " +
        'the cake, counts, risks, destroys and replacements first, every resource, drift and the Kubernetes diffs, in one HTML file that needs no network.',
    )
    .addOption(envOption())
    .option('--all', "every environment's page, and an index of them all")
    .option('--open', 'open the page (the index with --all) in a browser, where one is available')
    .action(async (opts: ReviewCommandOptions) => {
      const { reviewCommand } = await import('./commands/review');
      await reviewCommand(workspace(), opts);
    });

  program
    .command('emulator')
    .description('Manage the local AWS emulator (moto_server) that emulated environments use. It keeps nothing across restarts.')
    .argument('<action>', 'status, start or stop')
    .action(async (action: string) => {
      const { emulatorCommand } = await import('./commands/emulator');
      await emulatorCommand(workspace(), action);
    });

  program
    .command('claim')
    .description(
      "Claim a shared environment (claims: true in its config, the dev tier) for a while: others' apply, destroy and sync are refused until it " +
        'expires or is released. Claiming again renews your own claim; an expired claim can be taken.',
    )
    .addOption(envOption().makeOptionMandatory())
    .option('--for <duration>', 'how long, e.g. 30m, 8h, 2d (default and maximum: claimDuration in the config)')
    .option('--note <text>', 'what you use it for')
    .option('--release', 'give the environment back')
    .option('--force', "with --release: release someone else's claim")
    .action(async (opts: ClaimCommandOptions) => {
      const { claimCommand } = await import('./commands/claim');
      await claimCommand(workspace(), opts);
    });

  program
    .command('history')
    .description('The deployment records of an environment (who deployed which commit, when, which layers), newest first.')
    .addOption(envOption().makeOptionMandatory())
    .option('--limit <n>', 'how many records', parsePositiveInteger, 20)
    .option('--json', 'the records as JSON')
    .action(async (opts: HistoryCommandOptions) => {
      const { historyCommand } = await import('./commands/history');
      await historyCommand(workspace(), opts);
    });

  program
    .command('status')
    .description(
      'One table of every environment: undeployed changes (changes.txt), claim, last deployment, and commits on main since it that touch ' +
        'its config or the layer code. Reads only; never plans.',
    )
    .option('--json', 'the same data as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { statusCommand } = await import('./commands/status');
      await statusCommand(workspace(), opts);
    });

  program
    .command('sync')
    .description(
      'Bring an engineer environment to the state of main before testing a branch on it: check the ref out in a temporary git worktree, ' +
        "plan there, show the diff, and apply it after confirmation, recording the ref's sha. Not for protected environments.",
    )
    .addOption(envOption().makeOptionMandatory())
    .option('--ref <ref>', 'the commit, branch or tag to deploy (default: origin/<main branch>, else <main branch>)')
    .option('-y, --yes', 'apply without asking (needed when stdin is not a terminal)')
    .option('--force', FORCE_HELP)
    .action(async (opts: SyncCommandOptions) => {
      const { syncCommand } = await import('./commands/sync');
      await syncCommand(workspace(), opts, consoleProgress());
    });

  program
    .command('schema')
    .description('Write the JSON Schema of env.yaml, for editors, from the same definition the validator uses.')
    .option('-o, --out <file>', 'where to write it', 'environments/env.schema.json')
    .action(async (opts: { out: string }) => {
      const [{ environmentJsonSchema }, { writeFileAtomic }] = await Promise.all([import('../config/schema'), import('./support/fs-atomic')]);
      const file = path.resolve(workspace().root, opts.out);
      writeFileAtomic(file, `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
      console.log(`Wrote ${displayPath(file)}`);
    });

  program
    .command('versions')
    .description(
      'Compare the EKS version table (config/eks-versions.ts) with AWS: the newest build of each managed add-on per minor ' +
        '(eks describe-addon-versions) and the recommended EKS-optimized AMI release (public SSM parameters), and print what is newer. ' +
        'Needs AWS credentials of any account.',
    )
    .option('--region <region>', 'the region to ask', 'us-east-1')
    .action(async (opts: { region: string }) => {
      const { versionsCommand } = await import('./commands/versions');
      await versionsCommand(opts);
    });

  // `npm run bench` (bdda/bench.ts): figures, compiled through the same launcher as every command.
  program
    .command('bench', { hidden: true })
    .description('Print the speed figures of issue 11; asserts nothing.')
    .action(async () => (await import('./bench')).runBench());

  const setExitCode = (code: number) => void (exitCode = code);
  addCiCommand(program, setExitCode);
  addVerifyCommand(program, setExitCode);

  return program;
}

/**
 * Runs the CLI; user errors print one paragraph and set the exit code; anything else is a bug,
 * reported in one paragraph with its trace written to `.bdda/crash/`.
 */
export async function main(argv: string[]): Promise<number> {
  // SIGINT/SIGTERM for the whole run: stop at the next safe point, release the locks, exit 130.
  const uninstall = installInterruptHandlers();
  try {
    const code = await runCommand(argv);
    return code !== 0 && interruptSignal() ? INTERRUPTED_EXIT_CODE : code;
  } finally {
    uninstall();
  }
}

async function runCommand(argv: string[]): Promise<number> {
  try {
    exitCode = 0;
    await buildProgram().parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const failure = describeFailure(err, argv);
    console.error(failure.message);
    return failure.exitCode;
  }
}

/** The process entry: `bdda/launcher.js` (npm scripts) or `ts-node bdda/cli.ts` call this. */
export function run(argv: string[]): void {
  installCrashHandlers(argv);
  void main(argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run(process.argv);
