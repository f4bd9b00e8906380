/**
 * Run-time wiring of terraform (the AWS provider, the S3 backend and `terraform_remote_state`) to
 * the local emulator, through environment variables only.
 *
 * Checked against terraform 1.11.4, hashicorp/aws 5.100.0 and moto 5.2.1: with these variables,
 * `init`, `plan` and `apply` of a layer with an S3 backend (`encrypt`, DynamoDB locking or
 * `use_lockfile`), `allowed_account_ids = ["123456789012"]`, `default_tags`, a VPC, a subnet, a
 * security group and an IAM role with an AWS managed policy attached all work, and a second layer
 * reads the first through `terraform_remote_state`; a second plan shows no changes.
 *
 * S3 path style is the one thing the variables cannot switch on by themselves. Terraform's Go SDK
 * addresses buckets as `<bucket>.<endpoint host>` even when the host is an IP address
 * (`bucket.127.0.0.1` then goes to DNS and fails), and neither terraform nor the provider reads a
 * path-style environment variable. So:
 * - the backend gets `use_path_style = true` from `TF_CLI_ARGS_init` (terraform appends it to
 *   every `terraform init`, as `-backend-config=use_path_style=true`);
 * - `terraform_remote_state` (whose config is synthesized) must say
 *   `use_path_style = var.bdda_s3_use_path_style`, a variable declared with default `false`, which
 *   `TF_VAR_bdda_s3_use_path_style=true` here turns on. Simpler alternative for the stacks: set
 *   `usePathStyle: true` on the S3Backend for every environment (real S3 answers path-style
 *   requests too); cdktf copies the backend's settings into the remote-state data sources.
 */

/** The fake credentials the emulator accepts; moto puts everything in account 123456789012. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** The account moto reports for any credentials it does not know. */
export const EMULATOR_ACCOUNT_ID = '123456789012';

/**
 * The terraform variable a synthesized `terraform_remote_state` reads for `use_path_style`
 * (declare it `bool`, default `false`). Terraform ignores `TF_VAR_` values of undeclared variables,
 * so layers without it are unaffected.
 */
export const S3_PATH_STYLE_VARIABLE = 'bdda_s3_use_path_style';

/**
 * The environment variables that point a child process's AWS SDKs (terraform and its providers,
 * the AWS CLI, the JS SDK) at the emulator at `endpoint` (e.g. `http://127.0.0.1:4599`). Merge
 * them over `process.env`; the empty values blank out variables of the user's that would
 * otherwise bring real credentials, profiles or roles into an emulated run.
 *
 * `TF_CLI_ARGS_init` is set here: a caller that needs its own must append to it, not replace it.
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
    // S3 path style: see the module comment.
    TF_CLI_ARGS_init: '-backend-config=use_path_style=true',
    [`TF_VAR_${S3_PATH_STYLE_VARIABLE}`]: 'true',
  };
}
