/**
 * The committed dependency lock (stacks/.terraform.lock.hcl): init copies it into the layer's
 * directory and verifies the provider against it; in CI (`-lockfile=readonly`) a provider that
 * does not match is refused in one paragraph. Real terraform with the provider mirror, no backend;
 * the lock's own content is checked in the unit tier (dependency-lock.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { committedLockFile } from '../../bdda/engines/dependency-lock';
import { Terraform } from '../../bdda/engines/terraform';
import { tools, writeTerraformCliConfig } from '../../bdda/engines/tools';

jest.setTimeout(120_000);

let scratch: string;
let cliConfig: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-dependency-lock-'));
  cliConfig = writeTerraformCliConfig(scratch, tools().providers);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A working directory that requires hashicorp/aws 5.100.0, as the stacks do, and its runner. */
function layer(name: string, lockFile: string): Terraform {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  const code = { terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } } };
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(code));
  return new Terraform({
    binary: tools().terraform,
    dir,
    env: { TF_CLI_CONFIG_FILE: cliConfig },
    credentialsHint: '',
    unlockHint: '',
    lockFile,
    readonlyLock: true,
  });
}

test('init copies the committed lock into the directory and installs the provider it lists, leaving the lock as it was', async () => {
  const tf = layer('good', committedLockFile());
  await expect(tf.init()).resolves.toMatchObject({ skipped: false });
  expect(fs.readFileSync(path.join(tf.dir, '.terraform.lock.hcl'), 'utf8')).toBe(fs.readFileSync(committedLockFile(), 'utf8'));
});

test('a provider whose checksum the lock does not list is refused in one paragraph naming the lock', async () => {
  const tampered = path.join(scratch, 'tampered.lock.hcl');
  fs.writeFileSync(tampered, fs.readFileSync(committedLockFile(), 'utf8').replace(/"h1:[^"]+"/, '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="'));
  const failure = await layer('tampered', tampered)
    .init()
    .catch((err: Error) => err);
  expect(failure).toBeInstanceOf(Error);
  const message = (failure as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  expect(message).toMatch(
    /^terraform init in .*tampered refused hashicorp\/aws 5\.100\.0: .*matches none of the checksums in the committed dependency lock .*tampered\.lock\.hcl/,
  );
  expect(message).toContain('-platform=darwin_arm64');
});

test('a lock that pins another version is refused in CI, where init may not change the lock', async () => {
  const other = path.join(scratch, 'other.lock.hcl');
  fs.writeFileSync(other, fs.readFileSync(committedLockFile(), 'utf8').replace(/"5\.100\.0"/g, '"5.99.0"'));
  const failure = await layer('other', other)
    .init()
    .catch((err: Error) => err);
  expect((failure as Error).message).toMatch(
    /^terraform init in .*other refused hashicorp\/aws 5\.\d+\.0: the stacks require a provider the committed dependency lock/,
  );
});
