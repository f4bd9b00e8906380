/**
 * The emulator as a background service, and the state backend against it. Starts a real
 * moto_server on a port of its own and stops it by pid at the end.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emulatorAwsEnv } from '../bdda/engines/aws-env';
import { emulatorStatus, ensureEmulator, shareEmulator, stopEmulator, type EmulatorInfo } from '../bdda/engines/emulator';
import { BddaError } from '../config/errors';
import { occupyPort } from './support/busy-port';
import { testEmulatorPort } from './support/emulated';
import { StateBackend } from '../bdda/state/state-backend';

const worker = Number(process.env.JEST_WORKER_ID ?? '1');
const PORT = testEmulatorPort(25100);
const BUSY_PORT = PORT + 1;

let runDir: string;
let emulator: EmulatorInfo | undefined;
const startedPids: number[] = [];

beforeAll(async () => {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-'));
  emulator = await ensureEmulator(runDir, { port: PORT });
  startedPids.push(emulator.pid);
}, 60_000);

afterAll(async () => {
  await stopEmulator(runDir);
  for (const pid of startedPids) {
    try {
      process.kill(pid, 'SIGKILL'); // only if stopEmulator failed to
    } catch {
      // gone, as it should be
    }
  }
  fs.rmSync(runDir, { recursive: true, force: true });
}, 30_000);

describe('ensureEmulator', () => {
  it('starts moto detached and records pid and port', async () => {
    expect(emulator).toMatchObject({ port: PORT, endpoint: `http://127.0.0.1:${PORT}`, fresh: true });
    expect(fs.readFileSync(path.join(runDir, 'pid'), 'utf8').trim()).toBe(String(emulator!.pid));
    expect(fs.readFileSync(path.join(runDir, 'port'), 'utf8').trim()).toBe(String(PORT));
    expect(fs.existsSync(path.join(runDir, 'moto.log'))).toBe(true);
    const res = await fetch(`${emulator!.endpoint}/moto-api/`);
    expect(res.status).toBe(200);
  });

  it('reuses the running emulator', async () => {
    const again = await ensureEmulator(runDir, { port: PORT });
    expect(again).toEqual({ ...emulator, fresh: false });
    await expect(emulatorStatus(runDir)).resolves.toEqual({
      running: true,
      pid: emulator!.pid,
      port: PORT,
      endpoint: emulator!.endpoint,
    });
  });

  it('refuses another port while one runs for the same folder', async () => {
    await expect(ensureEmulator(runDir, { port: PORT + 50 })).rejects.toThrow(/already runs on port/);
  });

  it('says which port is taken, by what, and what to do', async () => {
    const release = await occupyPort(BUSY_PORT);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-busy-'));
    try {
      const err = await ensureEmulator(otherDir, { port: BUSY_PORT }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BddaError);
      const message = (err as Error).message;
      expect(message).toContain(`port ${BUSY_PORT}`);
      expect(message).toContain('BDDA_EMULATOR_PORT');
      expect(message).toContain(path.join(otherDir, 'moto.log'));
      expect(fs.existsSync(path.join(otherDir, 'pid'))).toBe(false);
    } finally {
      await release();
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('names the missing program and how to install it', async () => {
    const before = process.env.MOTO_SERVER_BINARY;
    process.env.MOTO_SERVER_BINARY = path.join(os.tmpdir(), 'no-such-moto-server');
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-missing-'));
    try {
      await expect(ensureEmulator(otherDir, { port: BUSY_PORT })).rejects.toThrow(/pip install 'moto\[server\]'.*MOTO_SERVER_BINARY/);
    } finally {
      if (before === undefined) delete process.env.MOTO_SERVER_BINARY;
      else process.env.MOTO_SERVER_BINARY = before;
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('reports a folder with nothing running', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-none-'));
    try {
      await expect(emulatorStatus(otherDir)).resolves.toEqual({ running: false });
      await expect(stopEmulator(otherDir)).resolves.toBe(false);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('shareEmulator', () => {
  it("lets another root's commands reuse the running emulator on its port, not refuse it", async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-shared-'));
    try {
      shareEmulator(runDir, otherDir);
      await expect(ensureEmulator(otherDir, { port: PORT })).resolves.toEqual({ ...emulator, fresh: false });
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses a folder with no emulator recorded, naming it', () => {
    const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-none-'));
    try {
      expect(() => shareEmulator(emptyDir, path.join(emptyDir, 'other'))).toThrow(emptyDir);
    } finally {
      fs.rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

describe('two commands starting the emulator at once', () => {
  test('one starts it, the other waits and reuses it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-emulator-race-'));
    const port = testEmulatorPort(25190);
    const start = () =>
      new Promise<string>((resolve) => {
        const script = path.join(__dirname, 'support', 'start-emulator.ts');
        execFile(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', script, dir, String(port)], (_err, stdout) =>
          resolve(stdout.trim()),
        );
      });
    try {
      const answers = await Promise.all([start(), start()]);
      const [pidA, freshA] = answers[0].split(' ');
      const [pidB, freshB] = answers[1].split(' ');
      expect(pidA).toMatch(/^\d+$/);
      expect(pidB).toBe(pidA);
      expect([freshA, freshB].sort()).toEqual(['false', 'true']);
    } finally {
      await stopEmulator(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('emulatorAwsEnv', () => {
  it('points every SDK at the endpoint with fake credentials and path-style S3 for terraform', () => {
    const env = emulatorAwsEnv('http://localhost:4599/');
    expect(env.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:4599');
    expect(env.AWS_ENDPOINT_URL_S3).toBe('http://127.0.0.1:4599');
    expect(env.AWS_ACCESS_KEY_ID).toBe('testing');
    expect(env.AWS_PROFILE).toBe('');
    expect(env.AWS_EC2_METADATA_DISABLED).toBe('true');
  });
});

describe('StateBackend against the emulator', () => {
  let backend: StateBackend;
  beforeAll(() => {
    backend = new StateBackend({
      bucket: `bdda-test-state-${worker}`,
      region: 'eu-west-1',
      lockTable: `bdda-test-locks-${worker}`,
      endpoint: emulator!.endpoint,
    });
  });
  afterAll(() => backend.destroy());

  it('creates the bucket and the lock table once', async () => {
    await expect(backend.ensure()).resolves.toEqual({ created: true });
    await expect(backend.ensure()).resolves.toEqual({ created: false });
  });

  it('creates the bucket versioned, KMS-encrypted and private', async () => {
    const { S3Client, GetBucketVersioningCommand, GetBucketEncryptionCommand, GetPublicAccessBlockCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      region: 'eu-west-1',
      endpoint: emulator!.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const Bucket = backend.bucket;
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
      const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
      expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms');
      const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
      expect(pab.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
    } finally {
      s3.destroy();
    }
  });

  it('reads, writes and deletes objects', async () => {
    await expect(backend.getObject('bdda/missing.json')).resolves.toBeUndefined();
    await expect(backend.objectExists('bdda/runs/a.json')).resolves.toBe(false);
    await backend.putObject('bdda/runs/a.json', '{"a":1}');
    await expect(backend.objectExists('bdda/runs/a.json')).resolves.toBe(true);
    await expect(backend.getObject('bdda/runs/a.json')).resolves.toBe('{"a":1}');
    await backend.putObject('bdda/runs/a.json', '{"a":2}');
    await expect(backend.getObject('bdda/runs/a.json')).resolves.toBe('{"a":2}');
    await backend.deleteObject('bdda/runs/a.json');
    await expect(backend.getObject('bdda/runs/a.json')).resolves.toBeUndefined();
    await expect(backend.objectExists('bdda/runs/a.json')).resolves.toBe(false);
  });

  it('locks: one holder at a time, the refusal names the holder and how to break it', async () => {
    const key = 'bdda/locks/dev-eu.json';
    await expect(backend.readLock(key)).resolves.toBeUndefined();
    const { info: taken } = await backend.acquireLock(key, { who: 'alice@laptop', operation: 'apply dev/eu' });
    await expect(backend.readLock(key)).resolves.toEqual(taken);
    expect(taken).toMatchObject({ who: 'alice@laptop', operation: 'apply dev/eu', pid: process.pid, host: os.hostname() });

    const refused = await backend.acquireLock(key, { who: 'bob@ci', operation: 'plan dev/eu' }, 'npm run apply -- --env dev/eu --break-lock').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(BddaError);
    const message = (refused as Error).message;
    expect(message).toContain('alice@laptop');
    expect(message).toContain('apply dev/eu');
    expect(message).toContain(taken.since);
    expect(message).toContain('npm run apply -- --env dev/eu --break-lock');
    // The refused attempt left alice's lock as it was.
    await expect(backend.readLock(key)).resolves.toEqual(taken);

    await backend.releaseLock(key);
    await expect(backend.readLock(key)).resolves.toBeUndefined();
    const bob = await backend.acquireLock(key, { who: 'bob@ci', operation: 'plan dev/eu' });
    expect(bob.info.who).toBe('bob@ci');
    await backend.releaseLock(key);
  });

  it('only one of many simultaneous acquirers wins', async () => {
    const key = 'bdda/locks/race.json';
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => backend.acquireLock(key, { who: `w${i}`, operation: 'apply' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(losers.map((reason) => reason instanceof BddaError)).toEqual(Array(7).fill(true));
    await backend.releaseLock(key);
  });

  it("shows terraform's own lock from the lock table", async () => {
    await expect(backend.terraformLockInfo('dev/eu/flag.tfstate')).resolves.toBeUndefined();
    const { DynamoDBClient, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const db = new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: emulator!.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const info = {
        ID: 'abc-123',
        Operation: 'OperationTypeApply',
        Who: 'carol@host',
        Version: '1.11.4',
        Created: '2026-01-02T03:04:05Z',
        Path: `${backend.bucket}/dev/eu/flag.tfstate`,
      };
      await db.send(
        new PutItemCommand({
          TableName: backend.lockTable,
          Item: { LockID: { S: `${backend.bucket}/dev/eu/flag.tfstate` }, Info: { S: JSON.stringify(info) } },
        }),
      );
    } finally {
      db.destroy();
    }
    await expect(backend.terraformLockInfo('dev/eu/flag.tfstate')).resolves.toEqual({
      id: 'abc-123',
      operation: 'OperationTypeApply',
      who: 'carol@host',
      created: '2026-01-02T03:04:05Z',
      path: `${backend.bucket}/dev/eu/flag.tfstate`,
    });
  });
});

describe('stopEmulator', () => {
  it('stops it by pid and forgets it', async () => {
    const pid = emulator!.pid;
    await expect(stopEmulator(runDir)).resolves.toBe(true);
    // Gone (once this process, its parent, has reaped it).
    const gone = async (): Promise<boolean> => {
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return true;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    await expect(gone()).resolves.toBe(true);
    expect(fs.existsSync(path.join(runDir, 'pid'))).toBe(false);
    await expect(emulatorStatus(runDir)).resolves.toEqual({ running: false });
    await expect(stopEmulator(runDir)).resolves.toBe(false);
  });
});
