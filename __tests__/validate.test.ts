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
import { listEnvironments, loadEnvironment } from '../config/load';
import { writeLayerApps } from '../bdda/workflow/synth-apps';
import { terraformDir } from '../bdda/workflow/synth-output';
import { tools, writeTerraformCliConfig } from '../bdda/engines/tools';
import { REPO_ROOT } from './support/scratch';

const run = promisify(execFile);

describe('terraform validate', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-validate-'));
  const cliConfig = writeTerraformCliConfig(out, tools().providers);
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  const dirs = listEnvironments(REPO_ROOT).flatMap((ref) => {
    const synth = writeLayerApps(loadEnvironment(REPO_ROOT, ref.path), path.join(out, ref.path));
    return [
      [`${ref.path} flag`, terraformDir(synth, 'flag')],
      [`${ref.path} karr`, terraformDir(synth, 'karr')],
    ] as const;
  });
  const results = new Map<string, Promise<string>>();
  const limit = pLimit(2);

  beforeAll(() => {
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

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('the CLI config installs providers from the mirror only', () => {
    const text = fs.readFileSync(cliConfig, 'utf8');
    expect(text).toContain('filesystem_mirror');
    const providers = tools().providers;
    expect(providers.kind).toBe('mirror');
    expect(text).toContain(JSON.stringify(providers.kind === 'mirror' ? providers.path : ''));
    expect(text).not.toMatch(/direct\s*\{/);
  });

  test.each(dirs)('%s is valid', async (name, dir) => {
    const report = JSON.parse(await (results.get(name) as Promise<string>)) as {
      valid: boolean;
      error_count: number;
      diagnostics: Array<{ severity: string; summary: string; detail?: string }>;
    };
    expect(report.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.summary}: ${d.detail ?? ''}`)).toEqual([]);
    expect(report.valid).toBe(true);
    // The provider really came from the mirror: terraform links the mirrored binary in.
    const installed = path.join(dir, '.terraform', 'providers', 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0');
    expect(fs.existsSync(installed)).toBe(true);
  });
});
