/**
 * Which AWS account the caller's credentials belong to, checked against the environment's
 * `aws.accountId` before anything touches AWS for real.
 *
 * The credentials come from the SDK's default provider chain, the same sources terraform's AWS
 * provider reads: environment keys, profiles and SSO, web identity (a CI job assuming a role, as
 * GitHub Actions does), container and EC2 instance roles. One STS GetCallerIdentity call, which
 * needs no permission, then names the account.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { errName } from '../state/aws-errors';

export interface CallerIdentity {
  readonly account: string;
  /** e.g. `arn:aws:sts::123456789012:assumed-role/deploy/session`. */
  readonly arn: string;
}

/** The account and ARN of whoever the default credential chain resolves to. */
async function callerIdentity(region: string): Promise<CallerIdentity> {
  const sts = new STSClient({ region, credentials: fromNodeProviderChain(), maxAttempts: 2 });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } finally {
    sts.destroy();
  }
}

/**
 * Refuses to go on unless the credentials belong to the environment's account. It runs before
 * terraform and before the state backend: with another account's credentials, `ensure()` would
 * create a state bucket in the wrong account, and terraform would only fail after seconds of init
 * (the provider's `allowed_account_ids`), or, for the backend, not at all.
 *
 * `credentialsHint` says how to give credentials for the account; it ends the message when none
 * are found or they are refused.
 */
export async function assertCallerAccount(env: Environment, credentialsHint: string): Promise<CallerIdentity> {
  const { accountId, region } = env.config.aws;
  let identity: CallerIdentity;
  try {
    identity = await callerIdentity(region);
  } catch (err) {
    throw identityError(err, credentialsHint);
  }
  if (identity.account !== accountId) {
    throw new BddaError(
      `The AWS credentials in use belong to account ${identity.account} (${identity.arn}), but environment ${env.path} ` +
        `runs in account ${accountId} (aws.accountId in ${env.files[env.files.length - 1]} or a parent). Nothing was changed. ` +
        `Switch to credentials for account ${accountId} (e.g. another AWS_PROFILE or AWS_ROLE_ARN) and run the command again.`,
    );
  }
  return identity;
}

function identityError(err: unknown, credentialsHint: string): BddaError {
  const name = errName(err);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (name === 'CredentialsProviderError') return new BddaError(`No AWS credentials were found. ${credentialsHint}`);
  if (/^(InvalidClientTokenId|ExpiredToken|ExpiredTokenException|SignatureDoesNotMatch|AccessDenied|InvalidIdentityToken)/.test(name)) {
    return new BddaError(`AWS refused the credentials in use (${name}: ${message}). ${credentialsHint}`);
  }
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ECONNRESET') {
    return new BddaError(`Could not reach AWS STS to check which account the credentials belong to (${message}). Check the network and run the command again.`);
  }
  return new BddaError(
    `Could not check which AWS account the credentials belong to (STS GetCallerIdentity: ${name ? `${name}: ` : ''}${message}). ${credentialsHint}`,
  );
}
