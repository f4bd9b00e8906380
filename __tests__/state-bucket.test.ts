/**
 * The state bucket bdda creates and the existing buckets it refuses: against a real moto_server
 * (versioning, KMS encryption, the TLS-only policy, which moto enforces on its plain-HTTP endpoint)
 * and, where moto does not check (`ExpectedBucketOwner`), on the requests themselves.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { EMULATOR_CREDENTIALS } from '../bdda/engines/aws-env';
import { ensureEmulator, stopEmulator, type EmulatorInfo } from '../bdda/engines/emulator';
import { ensureStateBucket, expectBucketOwner, stateKeyAlias } from '../bdda/state/bucket';
import { StateBackend } from '../bdda/state/state-backend';
import { BddaError } from '../config/errors';
import { testEmulatorPort } from './support/emulated';

const PORT = testEmulatorPort(25830);
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

let runDir: string;
let emulator: EmulatorInfo;
let s3: S3Client;
let kms: KMSClient;

beforeAll(async () => {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-state-bucket-'));
  emulator = await ensureEmulator(runDir, { port: PORT });
  const common = { region: REGION, endpoint: emulator.endpoint, credentials: { ...EMULATOR_CREDENTIALS } };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  kms = new KMSClient(common);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  kms?.destroy();
  await stopEmulator(runDir);
  fs.rmSync(runDir, { recursive: true, force: true });
}, 30_000);

const clients = () => ({ s3, kms: async () => kms });

describe('a new state bucket, on the emulator', () => {
  test('is versioned, encrypted with a key bdda creates under the bucket alias, and closed to public access', async () => {
    const bucket = 'bdda-new-state';
    await expect(ensureStateBucket(clients(), { bucket, region: REGION, accountId: ACCOUNT, requireTls: false })).resolves.toBe(true);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    const key = await kms.send(new DescribeKeyCommand({ KeyId: stateKeyAlias(bucket) }));
    expect(rule?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key.KeyMetadata?.Arn });
    expect(rule?.BucketKeyEnabled).toBe(true);
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    // Found again: not created, and no second key.
    await expect(ensureStateBucket(clients(), { bucket, region: REGION, accountId: ACCOUNT, requireTls: false })).resolves.toBe(false);
  });

  test('is encrypted with the key the config names, when it names one', async () => {
    const bucket = 'bdda-named-key-state';
    const named = (await kms.send(new CreateKeyCommand({ Description: 'named' }))).KeyMetadata?.Arn as string;
    await ensureStateBucket(clients(), { bucket, region: REGION, kmsKeyArn: named, requireTls: false });
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    expect(rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID).toBe(named);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: stateKeyAlias(bucket) }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  test('refuses every request made without TLS', async () => {
    const bucket = 'bdda-tls-state';
    await ensureStateBucket(clients(), { bucket, region: REGION });
    // The emulator speaks plain HTTP, so the policy refuses even the bucket's own account.
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  test('the backend of an emulated environment leaves the TLS policy out, so it can write over HTTP', async () => {
    const backend = new StateBackend({ bucket: 'bdda-emulated-state', region: REGION, accountId: ACCOUNT, endpoint: emulator.endpoint });
    try {
      await expect(backend.ensure()).resolves.toEqual({ created: true });
      await backend.putObject('a.json', '{}');
      await expect(backend.getObject('a.json')).resolves.toBe('{}');
    } finally {
      backend.destroy();
    }
  });
});

describe('an existing bucket', () => {
  test('that keeps no versions is refused, naming the bucket and how to turn versioning on', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bdda-unversioned', CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const result = ensureStateBucket(clients(), { bucket: 'bdda-unversioned', region: REGION, accountId: ACCOUNT });
    await expect(result).rejects.toThrow(BddaError);
    await expect(result).rejects.toThrow(/bdda-unversioned exists but its versioning is off.*put-bucket-versioning/);
  });

  test('of another account is refused: S3 answers 403 to the owner check, and the error names the account and backend.bucket', async () => {
    const sent: string[] = [];
    const fake = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push(command.constructor.name);
        expect(command.input.ExpectedBucketOwner).toBe(ACCOUNT);
        throw Object.assign(new Error('Forbidden'), { name: '403', $metadata: { httpStatusCode: 403 } });
      },
    };
    const result = ensureStateBucket({ s3: fake as unknown as S3Client, kms: async () => kms }, { bucket: 'taken', region: REGION, accountId: ACCOUNT });
    await expect(result).rejects.toThrow(/taken exists but is not in account 123456789012.*backend\.bucket/);
    expect(sent).toEqual(['HeadBucketCommand']);
  });

  test('every call of the creation that S3 lets carry it names the expected owner', async () => {
    const seen: Array<[string, unknown]> = [];
    const fake = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        seen.push([command.constructor.name, command.input.ExpectedBucketOwner]);
        if (command.constructor.name === 'HeadBucketCommand')
          throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
        return {};
      },
    };
    await ensureStateBucket(
      { s3: fake as unknown as S3Client, kms: async () => kms },
      { bucket: 'owned', region: REGION, accountId: ACCOUNT, kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/state` },
    );
    expect(seen).toEqual([
      ['HeadBucketCommand', ACCOUNT],
      ['CreateBucketCommand', undefined], // CreateBucket has no such parameter
      ['PutBucketVersioningCommand', ACCOUNT],
      ['PutBucketEncryptionCommand', ACCOUNT],
      ['PutPublicAccessBlockCommand', ACCOUNT],
      ['PutBucketPolicyCommand', ACCOUNT],
    ]);
  });
});

describe('the backend client', () => {
  test('sends the expected owner header on every request for the state bucket, object reads and writes included', async () => {
    const headers: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      headers.push(req.headers['x-amz-expected-bucket-owner'] as string | undefined);
      req.resume();
      req.on('end', () => res.writeHead(200, { ETag: '"e"' }).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { ...EMULATOR_CREDENTIALS } });
    try {
      expectBucketOwner(client, 'state', ACCOUNT);
      await client.send(new PutObjectCommand({ Bucket: 'state', Key: 'k', Body: 'x' }));
      await client.send(new HeadObjectCommand({ Bucket: 'state', Key: 'k' }));
      await client.send(new HeadObjectCommand({ Bucket: 'another', Key: 'k' }));
    } finally {
      client.destroy();
      server.close();
    }
    expect(headers).toEqual([ACCOUNT, ACCOUNT, undefined]);
  });
});
