/**
 * The account check of a real (non-emulated) environment: credentials from the SDK's default
 * chain, here a web identity (as a GitHub Actions job assumes a role), and STS GetCallerIdentity
 * compared with `aws.accountId` before the state backend or terraform is touched.
 *
 * STS and S3 are the emulator's (moto reports the assumed role's account as the caller's), so the
 * test can see whether the state bucket was created: it must not be, when the accounts differ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, ensureEmulator, stopEmulator } from '../../bdda/engines/emulator';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, removeScratch, snapshotTree } from '../support/scratch';

const PORT = testEmulatorPort(25750);
const ENDPOINT = emulatorEndpoint(PORT);
const US1 = 'prod/us1';
const US1_ACCOUNT = '345678901234';

describe('a real environment checks the caller account before touching AWS', () => {
  const saved = { ...process.env };
  const captured = captureConsole();
  let root: string;
  let runDir: string;
  let s3: S3Client;

  beforeAll(async () => {
    root = makeScratch();
    runDir = path.join(root, 'test-moto');
    await ensureEmulator(runDir, { port: PORT });
    s3 = new S3Client({ region: 'us-east-1', endpoint: ENDPOINT, forcePathStyle: true, credentials: { ...EMULATOR_CREDENTIALS } });
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await stopEmulator(runDir);
    removeScratch(root);
  });

  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    const token = path.join(root, 'web-identity-token');
    // moto does not verify the token; it only has to be there, as the CI runner's would be.
    fs.writeFileSync(token, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYmRkYTpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJl');
    Object.assign(process.env, {
      BDDA_ROOT: root,
      AWS_WEB_IDENTITY_TOKEN_FILE: token,
      AWS_ROLE_SESSION_NAME: 'bdda-ci',
      AWS_ENDPOINT_URL: ENDPOINT,
      AWS_CONFIG_FILE: path.join(root, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  async function bucketExists(bucket: string): Promise<boolean> {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch {
      return false;
    }
  }

  test('a web identity of another account is refused, naming both accounts and the caller, and nothing is created', async () => {
    process.env.AWS_ROLE_ARN = 'arn:aws:iam::111122223333:role/acme-deploy';
    const before = snapshotTree(path.join(root, 'environments'));
    const code = await runCli(captured, 'plan', '--env', US1);
    const message = captured.errors.join('\n');
    expect(code).toBe(1);
    expect(message).toContain('belong to account 111122223333');
    expect(message).toContain('arn:aws:sts::111122223333:assumed-role/acme-deploy/bdda-ci');
    expect(message).toContain(`runs in account ${US1_ACCOUNT}`);
    expect(message).toContain('Nothing was changed');
    expect(message).not.toMatch(/terraform (init|plan)/);
    expect(snapshotTree(path.join(root, 'environments'))).toEqual(before);
    expect(await bucketExists(loadEnvironment(root, US1).config.backend.bucket)).toBe(false);
    expect(fs.existsSync(path.join(root, 'build', US1))).toBe(false);
  }, 60_000);

  test("a web identity of the environment's own account passes the check and the command goes on to the state bucket", async () => {
    process.env.AWS_ROLE_ARN = `arn:aws:iam::${US1_ACCOUNT}:role/acme-deploy`;
    const code = await runCli(captured, 'plan', '--env', US1);
    const message = captured.errors.join('\n');
    expect(message).not.toMatch(/belong to account|No AWS credentials were found|refused the credentials/);
    // Past the check, the workflow created the state bucket, with the assumed role's credentials.
    expect(await bucketExists(loadEnvironment(root, US1).config.backend.bucket)).toBe(true);
    // and started terraform. Terraform's own credential chain gets no credentials for the web
    // identity here, so its init is where this plan stops, with the hint naming the account.
    expect(captured.logs.join('\n')).toMatch(/\[prod\/us1\] FLAG +init/);
    expect(code).toBe(1);
    expect(message).toMatch(
      /^Error: terraform init in \S+\/prod\/us1\/stacks\/flag found no valid AWS credentials\. Environment prod\/us1 runs in AWS account 345678901234/,
    );
  }, 180_000);

  test('no credentials at all gives the hint naming the account', async () => {
    delete process.env.AWS_WEB_IDENTITY_TOKEN_FILE;
    const code = await runCli(captured, 'plan', '--env', US1);
    const message = captured.errors.join('\n');
    expect(code).toBe(1);
    expect(message).toContain('No AWS credentials were found');
    expect(message).toContain(`account ${US1_ACCOUNT}`);
    expect(message).toContain('AWS_WEB_IDENTITY_TOKEN_FILE');
  }, 60_000);
});
