/**
 * Run-time wiring of terraform (the AWS provider, the S3 backend and `terraform_remote_state`) to
 * the local emulator, through environment variables only: the synthesized code is the same for
 * emulated and real environments.
 *
 * Checked against terraform 1.11.4, hashicorp/aws 5.100.0 and moto 5.2.1: with these variables
 * `init`, `plan` and `apply` of a layer with an S3 backend (DynamoDB or lock-file locking,
 * `encrypt`), `allowed_account_ids`, `default_tags`, VPC, subnet and an IAM role with an AWS
 * managed policy attached all work, and so does a second layer reading the first through
 * `terraform_remote_state`. No path-style switch is needed: for an endpoint whose host is an IP
 * address (127.0.0.1) the AWS SDKs address S3 by path, which is why the endpoint is never
 * `localhost`.
 */

/** The fake credentials the emulator accepts; moto puts everything in account 123456789012. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** The account moto reports for any credentials it does not know. */
export const EMULATOR_ACCOUNT_ID = '123456789012';

/**
 * The environment variables that point a child process's AWS SDKs (terraform, its providers, the
 * AWS CLI) at the emulator at `endpoint` (e.g. `http://127.0.0.1:4599`). Merge them over
 * `process.env`; empty values blank out variables of the user's that would otherwise pick real
 * credentials or profiles.
 */
export function emulatorAwsEnv(endpoint: string): Record<string, string> {
  const url = new URL(endpoint);
  if (url.hostname === 'localhost') {
    // 'localhost' makes the SDKs address S3 buckets as <bucket>.localhost, which does not resolve.
    url.hostname = '127.0.0.1';
  }
  const base = url.origin;
  const env: Record<string, string> = {
    // Every service, for the SDKs that read the global variable (aws-sdk-go-v2, JS v3, botocore)...
    AWS_ENDPOINT_URL: base,
    // ...and named ones for the services the S3 backend and the remote-state data source use.
    AWS_ENDPOINT_URL_S3: base,
    AWS_ENDPOINT_URL_DYNAMODB: base,
    AWS_ENDPOINT_URL_STS: base,
    AWS_ENDPOINT_URL_IAM: base,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    // Real credentials of the user's must never reach the emulator run, nor the other way round.
    AWS_SESSION_TOKEN: '',
    AWS_SECURITY_TOKEN: '',
    AWS_PROFILE: '',
    AWS_DEFAULT_PROFILE: '',
    AWS_ROLE_ARN: '',
    AWS_WEB_IDENTITY_TOKEN_FILE: '',
    // No shared config either: a profile there could carry its own endpoints or role.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return env;
}
