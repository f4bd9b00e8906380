/**
 * The real terraform CLI (or OpenTofu, through `TERRAFORM_BINARY`) in one layer's working
 * directory. Each provider-loading command costs seconds, so init is skipped when the directory is
 * already initialized for the same backend. A plan is two of them: `plan -out`, whose own text is
 * kept for people, and, when it changes anything, one `show -json` of the saved plan, read as data;
 * both reach one AWS provider process started for them (shared-provider.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { committedLockFile, installCommittedLock, lockRefusal } from './dependency-lock';
import { OVERRIDE_FILE } from './emulator-override';
import { BddaError } from '../../config/errors';
import { parsePlanJson, type TerraformPlanJson } from '../diff/terraform-plan-json';
import { runProcess } from '../support/process';
import { withSharedProvider } from './shared-provider';
import { TOOL_PROGRAMS } from './tools';

export interface TerraformOptions {
  /** The terraform (or tofu) binary. */
  readonly binary: string;
  /** The layer's working directory, holding `cdk.tf.json`. */
  readonly dir: string;
  /** Extra environment: the CLI config file, emulator endpoints, credentials. */
  readonly env: Readonly<Record<string, string>>;
  /** What to tell the user when credentials are missing. */
  readonly credentialsHint: string;
  /** The command that breaks a stale state lock. */
  readonly unlockHint: string;
  /**
   * Called when plan or apply could not take the state lock: breaks the lock if this run's own
   * terraform left it (see terraform-lock-recovery.ts) and returns true to retry once.
   * @default no recovery
   */
  readonly recoverStateLock?: (forceUnlock: (lockId: string) => Promise<void>) => Promise<boolean>;
  /** The dependency lock copied into the directory before init, which init verifies the providers against. @default stacks/.terraform.lock.hcl of the checkout */
  readonly lockFile?: string;
  /** Runs init with `-lockfile=readonly`, so that a provider the lock does not list is refused. @default true when `CI` is set */
  readonly readonlyLock?: boolean;
}

/** What `terraform version -json` says. */
export interface TerraformVersion {
  readonly terraform: string;
  /** Provider source address to the version selected by init; empty before init. */
  readonly providers: Readonly<Record<string, string>>;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Seconds the command took. */
  readonly seconds: number;
}

/** Lines of terraform output to pass on live, e.g. apply's progress. */
export type OutputSink = (line: string) => void;

export class Terraform {
  constructor(private readonly opts: TerraformOptions) {}

  get dir(): string {
    return this.opts.dir;
  }

  /** Initializes the backend and providers, unless already done for this exact configuration. */
  async init(): Promise<{ skipped: boolean; seconds: number }> {
    const lockFile = this.opts.lockFile ?? committedLockFile();
    installCommittedLock(lockFile, this.opts.dir);
    const marker = path.join(this.opts.dir, '.terraform', 'bdda-init.sha256');
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === this.initFingerprint()) return { skipped: true, seconds: 0 };
    const readonlyLock = this.opts.readonlyLock ?? Boolean(process.env.CI);
    const result = await this.run(['init', '-input=false', '-no-color', '-reconfigure', ...(readonlyLock ? ['-lockfile=readonly'] : [])]);
    const where = `terraform init in ${path.relative(process.cwd(), this.opts.dir) || '.'}`;
    if (result.code !== 0) throw lockRefusal(result.stderr || result.stdout, where, lockFile) ?? this.failure('init', result);
    // Taken after init, which writes the lock file that is part of the fingerprint.
    fs.writeFileSync(marker, this.initFingerprint());
    return { skipped: false, seconds: result.seconds };
  }

  /** `terraform plan -out`, returning plan's own text and whether anything would change. */
  async plan(
    planFile: string,
    opts: { destroy?: boolean; lock?: boolean } = {},
    attach: Readonly<Record<string, string>> = {},
  ): Promise<{ text: string; changes: boolean; seconds: number }> {
    const args = ['plan', '-input=false', '-no-color', '-lock-timeout=0s', '-detailed-exitcode', `-out=${planFile}`];
    if (opts.destroy) args.push('-destroy');
    // A preview is never applied, so it takes no lock and cannot leave one behind.
    if (opts.lock === false) args.push('-lock=false');
    const result = await this.runRecoveringLock(args, undefined, attach);
    if (result.code !== 0 && result.code !== 2) throw this.failure('plan', result);
    return { text: result.stdout, changes: result.code === 2, seconds: result.seconds };
  }

  /**
   * `plan`, then, when it changes anything, `show -json` of the saved plan: the plan as data
   * (`shown`), read once for the typed plan and the planned outputs. A plan with no changes is
   * not shown; there is nothing in it to read. Both commands use one shared provider process,
   * except in a destroy plan.
   */
  async planWithData(
    planFile: string,
    opts: { destroy?: boolean; lock?: boolean } = {},
  ): Promise<{ text: string; changes: boolean; seconds: number; shown?: TerraformPlanJson }> {
    // A destroy plan refreshes first and then plans, configuring the provider twice, which one AWS
    // provider process does not survive (its HTTP client is already wrapped); it gets its own.
    const dataDir = opts.destroy ? undefined : (this.opts.env.TF_DATA_DIR ?? path.join(this.opts.dir, '.terraform'));
    return withSharedProvider(dataDir, this.environment(), async (attach) => {
      const plan = await this.plan(planFile, opts, attach);
      if (!plan.changes) return plan;
      const show = await this.showPlan(planFile, attach);
      return { ...plan, seconds: plan.seconds + show.seconds, shown: show.plan };
    });
  }

  /** Applies a saved plan file; terraform itself refuses one that has gone stale. */
  async apply(planFile: string, sink?: OutputSink): Promise<{ seconds: number }> {
    const result = await this.runRecoveringLock(['apply', '-input=false', '-no-color', '-lock-timeout=0s', planFile], sink);
    if (result.code !== 0) throw this.failure('apply', result);
    return { seconds: result.seconds };
  }

  /** `terraform show -json` of a saved plan, checked (it loads the providers' schemas, so it costs a second or two). */
  async showPlan(planFile: string, attach: Readonly<Record<string, string>> = {}): Promise<{ plan: TerraformPlanJson; seconds: number }> {
    const result = await this.run(['show', '-json', '-no-color', planFile], undefined, attach);
    if (result.code !== 0) throw this.failure('show', result);
    const where = path.relative(process.cwd(), planFile) || planFile;
    let doc: unknown;
    try {
      doc = JSON.parse(result.stdout);
    } catch {
      throw new BddaError(
        `terraform show -json of ${where} printed something that is not JSON. Check that TERRAFORM_BINARY is terraform 1.11 or OpenTofu, then plan again.`,
      );
    }
    return { plan: parsePlanJson(doc, where), seconds: result.seconds };
  }

  /** Releases a state lock whose holder is dead. */
  async forceUnlock(lockId: string): Promise<void> {
    const result = await this.run(['force-unlock', '-force', '-no-color', lockId]);
    if (result.code !== 0) throw this.failure('force-unlock', result);
  }

  /**
   * `terraform version -json`, which loads no provider. In an initialized directory it also names
   * the provider versions selected (`registry.terraform.io/hashicorp/aws` → `5.100.0`).
   */
  async version(): Promise<TerraformVersion> {
    const result = await this.run(['version', '-json']);
    if (result.code !== 0) throw this.failure('version', result);
    const parsed = JSON.parse(result.stdout) as { terraform_version: string; provider_selections?: Record<string, string> };
    return { terraform: parsed.terraform_version, providers: parsed.provider_selections ?? {} };
  }

  // The backend block and the provider requirements decide whether init must run again.
  private initFingerprint(): string {
    const code = JSON.parse(fs.readFileSync(path.join(this.opts.dir, 'cdk.tf.json'), 'utf8')) as { terraform?: unknown };
    const lock = path.join(this.opts.dir, '.terraform.lock.hcl');
    const override = path.join(this.opts.dir, OVERRIDE_FILE);
    return createHash('sha256')
      .update(JSON.stringify(code.terraform ?? {}))
      .update(fs.existsSync(lock) ? fs.readFileSync(lock) : '')
      .update(this.opts.env.AWS_ENDPOINT_URL ?? '')
      .update(fs.existsSync(override) ? fs.readFileSync(override) : '')
      .digest('hex');
  }

  /** `run`, retried once when the state lock was one this run's terraform left itself. */
  private async runRecoveringLock(args: string[], sink?: OutputSink, attach: Readonly<Record<string, string>> = {}): Promise<CommandResult> {
    const result = await this.run(args, sink, attach);
    if (result.code === 0 || result.code === 2 || !this.opts.recoverStateLock) return result;
    if (!isStateLockError(stripDecorations(result.stderr || result.stdout))) return result;
    return (await this.opts.recoverStateLock((id) => this.forceUnlock(id))) ? this.run(args, sink, attach) : result;
  }

  /** What terraform, and a provider shared by its commands, run with. */
  private environment(): NodeJS.ProcessEnv {
    return { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', ...this.opts.env };
  }

  private run(args: string[], sink?: OutputSink, attach: Readonly<Record<string, string>> = {}): Promise<CommandResult> {
    // On SIGINT terraform lets running operations finish, saves state and releases its lock; the
    // runner starts it in its own process group and the interrupt handler forwards exactly one.
    return runProcess({ binary: this.opts.binary, ...TOOL_PROGRAMS.terraform }, args, {
      cwd: this.opts.dir,
      env: { ...this.environment(), ...attach },
      onLine: sink,
    });
  }

  private failure(command: string, result: CommandResult): BddaError {
    const err = stripDecorations(result.stderr || result.stdout);
    const where = `terraform ${command} in ${path.relative(process.cwd(), this.opts.dir) || '.'}`;
    if (isStateLockError(err)) {
      const info = ['ID', 'Path', 'Operation', 'Who', 'Created']
        .map((field) => err.match(new RegExp(`^\\s*${field}:\\s*(.+)$`, 'm')))
        .filter((m): m is RegExpMatchArray => m !== null)
        .map((m) => m[0].trim().replace(/\s+/g, ' '))
        .join('; ');
      return new BddaError(
        `The state is locked by another terraform run (${info || 'no lock details'}). ${where} gave up at once. ` +
          `Wait for that run to finish; if it was killed, release its locks with \`${this.opts.unlockHint}\`.`,
      );
    }
    if (/No valid credential sources found|failed to refresh cached credentials|InvalidClientTokenId|ExpiredToken|no EC2 IMDS role found/.test(err)) {
      return new BddaError(`${where} found no valid AWS credentials. ${this.opts.credentialsHint}`);
    }
    const tail = err.trim().split('\n').slice(-25).join('\n');
    return new BddaError(`${where} failed (exit ${result.code}):\n${tail}`);
  }
}

function isStateLockError(text: string): boolean {
  return /Error acquiring the state lock/.test(text);
}

/** Terraform draws boxes around diagnostics; keep the words. */
function stripDecorations(text: string): string {
  return text.replace(/^[│╷╵]\s?/gm, '');
}
