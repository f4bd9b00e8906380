/**
 * Plan's failures that come from the machine rather than the config: a missing terraform, a
 * missing provider mirror, the emulator's port taken, a real environment without credentials.
 * Each exits 1 with a message saying what to do, and leaves no diff behind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stopEmulator } from '../../bdda/engines/emulator';
import { workspace } from '../../bdda/support/workspace';
import { captureConsole, runCli } from '../support/cli-harness';
import { occupyPort } from '../support/busy-port';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, removeScratch, snapshotTree } from '../support/scratch';

const PORT = testEmulatorPort(25200);

describe('plan refuses to run on a broken machine', () => {
  const saved = { ...process.env };
  let root: string;
  const captured = captureConsole();

  beforeEach(() => {
    root = makeScratch();
    process.env.BDDA_ROOT = root;
    process.env.BDDA_EMULATOR_PORT = String(PORT);
  });

  afterEach(async () => {
    await stopEmulator(workspace(root).emulatorDir);
    process.env = { ...saved };
    removeScratch(root);
  });

  async function planFails(env: string): Promise<string> {
    const before = snapshotTree(path.join(root, 'environments'));
    const code = await runCli(captured, 'plan', '--env', env);
    expect(code).toBe(1);
    expect(snapshotTree(path.join(root, 'environments'))).toEqual(before);
    return captured.errors.join('\n');
  }

  test('terraform missing', async () => {
    process.env.TERRAFORM_BINARY = path.join(root, 'no-such-terraform');
    const message = await planFails('dev2');
    expect(message).toContain(`The terraform binary "${process.env.TERRAFORM_BINARY}" was not found`);
    expect(message).toContain('TERRAFORM_BINARY');
  });

  test('provider mirror missing', async () => {
    process.env.BDDA_PROVIDER_MIRROR = path.join(root, 'no-mirror');
    const message = await planFails('dev2');
    expect(message).toContain('The provider mirror has no registry.terraform.io/hashicorp/aws 5.100.0');
    expect(message).toContain('BDDA_PROVIDER_MIRROR');
  });

  test("the emulator's port taken by another process", async () => {
    const release = await occupyPort(PORT);
    try {
      const message = await planFails('dev2');
      expect(message).toContain(`port ${PORT} on 127.0.0.1 is taken by another process`);
      expect(message).toContain('BDDA_EMULATOR_PORT');
    } finally {
      await release();
    }
  });

  test('a real environment without AWS credentials names its account', async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-home-'));
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(home, 'credentials');
    process.env.AWS_CONFIG_FILE = path.join(home, 'config');
    try {
      const message = await planFails('stg1');
      expect(message).toContain('No AWS credentials were found');
      expect(message).toContain('account 210987654321');
      expect(message).toContain('AWS_PROFILE');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('plan --all plans every environment it can, reports the others, and exits 1', async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(root, 'no-credentials');
    process.env.AWS_CONFIG_FILE = path.join(root, 'no-config');
    const code = await runCli(captured, 'plan', '--all', '--detailed-exitcode');
    expect(code).toBe(1);
    const diffs = ['dev/dev1', 'dev/dev2', 'dev/dev3', 'prod/eu1', 'prod/us1', 'staging/stg1'].filter((env) =>
      fs.existsSync(path.join(root, 'environments', env, 'changes.txt')),
    );
    expect(diffs).toEqual(['dev/dev1', 'dev/dev2', 'dev/dev3']);
    const table = captured.logs.join('\n');
    expect(table).toMatch(/^ENVIRONMENT\s+FLAG\s+KARR\s+GOLIATH$/m);
    expect(table).toMatch(
      /^dev\/dev1\s+[1-9]\d* to add, 0 to change, 0 to destroy\s+[1-9]\d* to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\s+\d+ to add, 0 to change, 0 to delete$/m,
    );
    expect(table).toMatch(/^prod\/us1\s+error\s+error\s+error$/m);
    expect(table).toMatch(/plan failed: No AWS credentials were found\. Environment prod\/us1 runs in AWS account 345678901234/);
  });
});
