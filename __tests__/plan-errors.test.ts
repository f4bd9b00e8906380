/**
 * Plan's failures that come from the machine rather than the config: a missing terraform, a
 * missing provider mirror, the emulator's port taken, a real environment without credentials.
 * Each exits 1 with a message saying what to do, and leaves no diff behind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../bdda/cli';
import { stopEmulator } from '../bdda/emulator';
import { workspace } from '../bdda/workspace';
import { occupyPort } from './support/busy-port';
import { makeScratch, removeScratch, snapshotTree } from './support/scratch';

const PORT = 45200 + Number(process.env.JEST_WORKER_ID ?? 0);

describe('plan refuses to run on a broken machine', () => {
  const saved = { ...process.env };
  let root: string;
  let errors: string[];

  beforeEach(() => {
    root = makeScratch();
    process.env.BDDA_ROOT = root;
    process.env.BDDA_EMULATOR_PORT = String(PORT);
    errors = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await stopEmulator(workspace(root).emulatorDir);
    process.env = { ...saved };
    removeScratch(root);
  });

  async function planFails(env: string): Promise<string> {
    const before = snapshotTree(path.join(root, 'environments'));
    const code = await main(['node', 'bdda', 'plan', '--env', env]);
    expect(code).toBe(1);
    expect(snapshotTree(path.join(root, 'environments'))).toEqual(before);
    return errors.join('\n');
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
});
