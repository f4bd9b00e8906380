/**
 * Run-time wiring of terraform (the AWS provider, the S3 backend and `terraform_remote_state`) to
 * the local emulator, through environment variables, so the synthesized code stays the same.
 *
 * Checked against terraform 1.11.4, hashicorp/aws 5.100.0 and moto 5.2.1: with these variables,
 * `init`, `plan` and `apply` of a layer with an S3 backend (`encrypt`, DynamoDB locking or
 * `use_lockfile`), `allowed_account_ids = ["123456789012"]`, `default_tags`, a VPC, a subnet, a
 * security group and an IAM role with an AWS managed policy attached all work, and a second layer
 * reads the first through `terraform_remote_state`; a second plan shows no changes.
 *
 * S3 path style is the one thing variables cannot switch on: terraform's Go SDK addresses buckets
 * as `<bucket>.127.0.0.1`, which goes to DNS and fails, and nothing reads a path-style variable.
 * `emulator-override.ts` adds `use_path_style` through an override file instead.
 */

/** The fake credentials the emulator accepts; moto puts everything in account 123456789012. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/**
 * The environment variables that point a child process's AWS SDKs (terraform and its providers,
 * the AWS CLI, the JS SDK) at the emulator at `endpoint` (e.g. `http://127.0.0.1:4599`). Merge
 * them over `process.env`; the empty values blank out variables of the user's that would
 * otherwise bring real credentials, profiles or roles into an emulated run.
 */
export function emulatorAwsEnv(endpoint: string): Record<string, string> {
  const url = new URL(endpoint);
  // Never localhost: bucket subdomains of it go to DNS, which is not asked about loopback names.
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  const base = url.origin;
  return {
    // Every service, for the SDKs that read the global variable (aws-sdk-go-v2, JS v3, botocore)...
    AWS_ENDPOINT_URL: base,
    // ...and by name the ones the S3 backend and the remote-state data source use.
    AWS_ENDPOINT_URL_S3: base,
    AWS_ENDPOINT_URL_DYNAMODB: base,
    AWS_ENDPOINT_URL_STS: base,
    AWS_ENDPOINT_URL_IAM: base,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
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
}
