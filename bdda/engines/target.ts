/**
 * Where an environment's engines point: the emulator for emulated environments (started on first
 * use, with the state bucket and lock table created in it), or the real account otherwise. The
 * difference lives only in the environment variables given to terraform and the SDK clients.
 */
import { emulatorAwsEnv } from './aws-env';
import { assertCallerAccount } from './aws-identity';
import type { Environment } from '../../config/load';
import { ensureEmulator } from './emulator';
import { BddaError } from '../../config/errors';
import { StateBackend } from '../state/state-backend';
import { type ProviderSource, tools, writeTerraformCliConfig } from './tools';
import type { Workspace } from '../support/workspace';

export interface Target {
  /** Environment for terraform: the CLI config file and, for the emulator, its endpoints. */
  readonly terraformEnv: Readonly<Record<string, string>>;
  /** The state bucket, where the Goliath record and the apply lock live too. */
  readonly backend: StateBackend;
  /** True when the emulator was just started: it remembers nothing, so everything plans as new. */
  readonly freshEmulator: boolean;
  /** Where terraform installs providers from (the CLI config file says the same to terraform). */
  readonly providers: ProviderSource;
  /** What to do about missing credentials, naming the account. */
  readonly credentialsHint: string;
}

export async function prepareTarget(ws: Workspace, env: Environment): Promise<Target> {
  const { config } = env;
  const providers = tools().providers;
  const cliConfig = writeTerraformCliConfig(ws.buildDir, providers);
  if (config.emulated) {
    const emulator = await ensureEmulator(ws.emulatorDir);
    const backend = new StateBackend({ ...config.backend, accountId: config.aws.accountId, endpoint: emulator.endpoint });
    await backend.ensure();
    return {
      terraformEnv: { TF_CLI_CONFIG_FILE: cliConfig, ...emulatorAwsEnv(emulator.endpoint) },
      backend,
      freshEmulator: emulator.fresh,
      providers,
      credentialsHint: 'The emulator accepts any credentials; check the emulator log under .bdda/emulator/.',
    };
  }
  const credentialsHint =
    `Environment ${env.path} runs in AWS account ${config.aws.accountId} (${config.aws.region}). Give credentials for that account, ` +
    'e.g. `export AWS_PROFILE=<profile>` after `aws sso login --profile <profile>`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
    'or a role to assume (AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, as in CI), then run the command again.';
  // First of all, before the backend or terraform is touched: see the comment of assertCallerAccount.
  await assertCallerAccount(env, credentialsHint);
  const backend = new StateBackend({ ...config.backend, accountId: config.aws.accountId });
  try {
    await backend.ensure();
  } catch (err) {
    if (err instanceof BddaError) throw err;
    throw new BddaError(`Could not reach the state bucket ${config.backend.bucket}: ${(err as Error).message}. ${credentialsHint}`, { cause: err });
  }
  return { terraformEnv: { TF_CLI_CONFIG_FILE: cliConfig }, backend, freshEmulator: false, providers, credentialsHint };
}
