#!/usr/bin/env node
/**
 * The bdda command line: `npm run <command> -- [options]`. Commander parses the arguments and
 * writes the help text; each command lives in a module of its own.
 */
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { type Environment, listEnvironments, loadEnvironment } from './config/load';
import { environmentJsonSchema } from './config/schema';
import { BddaError } from './errors';
import { writeFileAtomic } from './fs-atomic';
import { applyEnvironment } from './apply';
import { destroyEnvironment } from './destroy';
import { emulatorCommand, unlockEnvironment } from './admin-commands';
import { planCommand, type PlanCommandOptions, renderTable } from './plan-command';
import { consoleProgress } from './progress';
import { synthesize } from './synth';
import { environmentBuildDir, type Workspace, workspace } from './workspace';

/** Set by a command that finishes without throwing but has something to say in its exit code. */
let exitCode = 0;

const envOption = () => new Option('-e, --env <name>', 'environment: a leaf name (dev2) or its path (dev/dev2)');

function buildProgram(): Command {
  const program = new Command('bdda')
    .description('Build-Diff / Deploy-Apply for the FLAG, KARR and Goliath layers of each environment under environments/.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('list')
    .description('List the deployable environments.')
    .action(() => {
      for (const env of listEnvironments(workspace().root)) console.log(env.path);
    });

  program
    .command('synth')
    .description('Synthesize FLAG and KARR (Terraform JSON) and Goliath (YAML) for one environment into build/.')
    .addOption(envOption().makeOptionMandatory())
    .action((opts: { env: string }) => {
      const ws = workspace();
      const env = loadEnvironment(ws.root, opts.env);
      const out = synthesize(env, environmentBuildDir(ws, env.path));
      const rel = (p: string) => path.relative(process.cwd(), p) || '.';
      console.log(`Synthesized ${env.path} (${env.files.join(' + ')}):`);
      console.log(`  FLAG     ${rel(out.flagDir)}/cdk.tf.json`);
      console.log(`  KARR     ${rel(out.karrDir)}/cdk.tf.json`);
      console.log(`  GOLIATH  ${rel(out.goliathFile)}`);
    });

  program
    .command('plan')
    .description('Build-Diff: plan FLAG, KARR and GOLIATH with their real engines and write changes.txt and changes.json into the environment folder.')
    .addOption(envOption())
    .option('--all', 'plan every environment')
    .option('--concurrency <n>', 'environments planned at once with --all', (v) => Number.parseInt(v, 10), 2)
    .option('--detailed-exitcode', 'exit 0 when in sync, 2 when there are changes, 1 on errors (like terraform)')
    .action(async (opts: PlanCommandOptions) => {
      const result = await planCommand(workspace(), opts, consoleProgress());
      if (opts.all) console.log(`\n${renderTable(result.runs)}`);
      exitCode = result.exitCode;
    });

  /** A command on one environment, taking --env and --yes. */
  const environmentCommand = (name: string, description: string, yesHelp: string, run: (ws: Workspace, env: Environment, yes: boolean) => Promise<unknown>) =>
    program
      .command(name)
      .description(description)
      .addOption(envOption().makeOptionMandatory())
      .option('-y, --yes', yesHelp)
      .action(async (opts: { env: string; yes?: boolean }) => {
        const ws = workspace();
        await run(ws, loadEnvironment(ws.root, opts.env), opts.yes === true);
      });

  environmentCommand(
    'apply',
    'Deploy-Apply: verify the reviewed diff against a fresh plan, then apply it layer by layer (FLAG, KARR, GOLIATH), removing each section once deployed.',
    'do not ask; needed for protected environments when stdin is not a terminal',
    (ws, env, yes) => applyEnvironment(ws, env, { yes }, consoleProgress()),
  );
  environmentCommand(
    'destroy',
    'Tear an environment down in reverse order (GOLIATH, KARR, FLAG), after showing what goes and asking for confirmation.',
    'do not ask for confirmation (needed when stdin is not a terminal)',
    (ws, env, yes) => destroyEnvironment(ws, env, { yes }, consoleProgress()),
  );
  environmentCommand(
    'unlock',
    'Break the locks a killed apply, destroy or plan left behind: the apply lock and terraform\'s state locks of FLAG and KARR.',
    'really break it (required)',
    (ws, env, yes) => unlockEnvironment(ws, env, yes),
  );

  program
    .command('emulator')
    .description('Manage the local AWS emulator (moto_server) that emulated environments use. It keeps nothing across restarts.')
    .argument('<action>', 'status, start or stop')
    .action(async (action: string) => {
      await emulatorCommand(workspace(), action);
    });

  program
    .command('schema')
    .description('Write the JSON Schema of env.yaml, for editors, from the same definition the validator uses.')
    .option('-o, --out <file>', 'where to write it', 'environments/env.schema.json')
    .action((opts: { out: string }) => {
      const file = path.resolve(workspace().root, opts.out);
      writeFileAtomic(file, `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
      console.log(`Wrote ${path.relative(process.cwd(), file)}`);
    });

  return program;
}

/** Runs the CLI; user errors print one paragraph and set the exit code, bugs print a stack. */
export async function main(argv: string[]): Promise<number> {
  try {
    exitCode = 0;
    await buildProgram().parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof BddaError) {
      console.error(`Error: ${err.message}`);
      return err.exitCode;
    }
    console.error(err);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
