/**
 * Every synthesized terraform stack of every environment passes `terraform validate`, with the
 * real terraform and the provider from the mirror, through the CLI config the project writes.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { listEnvironments, loadEnvironment } from '../../config/load';
import { writeLayerApps } from '../../bdda/workflow/synth-apps';
import { terraformDir } from '../../bdda/workflow/synth-output';
import { tools, writeTerraformCliConfig } from '../../bdda/engines/tools';
import { REPO_ROOT } from '../support/scratch';

const run = promisify(execFile);

/** Each shipped environment's terraform stacks, named as the tests are. */
const stacks = listEnvironments(REPO_ROOT).flatMap((ref) => [`${ref.path} flag`, `${ref.path} karr`]);

describe('terraform validate', () => {
  let out: string;
  let cliConfig: string;
  const dirs = new Map<string, string>();
  const results = new Map<string, Promise<string>>();

  // Synthesized and validated once for the whole file, two stacks at a time; each test awaits its own.
  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-validate-'));
    cliConfig = writeTerraformCliConfig(out, tools().providers);
    const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
    for (const ref of listEnvironments(REPO_ROOT)) {
      const synth = writeLayerApps(loadEnvironment(REPO_ROOT, ref.path), path.join(out, ref.path));
      dirs.set(`${ref.path} flag`, terraformDir(synth, 'flag'));
      dirs.set(`${ref.path} karr`, terraformDir(synth, 'karr'));
    }
    const limit = pLimit(2);
    for (const [name, dir] of dirs) {
      results.set(
        name,
        limit(async () => {
          await run(tools().terraform, ['init', '-backend=false', '-input=false', '-no-color'], { cwd: dir, env });
          const { stdout } = await run(tools().terraform, ['validate', '-json', '-no-color'], { cwd: dir, env }).catch((e: { stdout: string }) => ({
            stdout: e.stdout,
          }));
          return stdout;
        }),
      );
    }
  });

  // Every validation has ended (a test that failed early does not wait for its own) before the folder goes.
  afterAll(async () => {
    await Promise.allSettled(results.values());
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  test('the CLI config installs providers from the mirror only', () => {
    const text = fs.readFileSync(cliConfig, 'utf8');
    expect(text).toContain('filesystem_mirror');
    const providers = tools().providers;
    expect(providers.kind).toBe('mirror');
    expect(text).toContain(JSON.stringify(providers.kind === 'mirror' ? providers.path : ''));
    expect(text).not.toMatch(/direct\s*\{/);
  });

  test.each(stacks)('%s is valid', async (name) => {
    const report = JSON.parse(await (results.get(name) as Promise<string>)) as {
      valid: boolean;
      error_count: number;
      diagnostics: Array<{ severity: string; summary: string; detail?: string }>;
    };
    expect(report.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.summary}: ${d.detail ?? ''}`)).toEqual([]);
    expect(report.valid).toBe(true);
    // The provider really came from the mirror: terraform links the mirrored binary in.
    const installed = path.join(dirs.get(name) as string, '.terraform', 'providers', 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0');
    expect(fs.existsSync(installed)).toBe(true);
  });
});
