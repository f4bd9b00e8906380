/**
 * A plan killed outright (SIGKILL) leaves no shared provider behind: the shell that supervises
 * the provider sees its owner gone and stops it. The owner here is a node process holding a
 * shared provider (a stand-in) open, as a plan does between its terraform commands.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../bdda/support/process-alive';
import { fakeAwsProviderDir, installFakeAwsProvider } from '../support/fake-aws-provider';
import { REPO_ROOT } from '../support/scratch';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-shared-provider-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(50);
  return condition();
}

test('the provider of a plan killed with SIGKILL stops within seconds', async () => {
  installFakeAwsProvider(dataDir);
  const pidFile = path.join(fakeAwsProviderDir(dataDir), 'pid');
  const script = [
    "const { withSharedProvider } = require('./bdda/engines/shared-provider');",
    `withSharedProvider(${JSON.stringify(dataDir)}, process.env, (attach) => { console.log(attach.TF_REATTACH_PROVIDERS ? 'attached' : 'not attached'); return new Promise(() => undefined); });`,
  ].join('\n');
  const owner = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  owner.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  try {
    expect(await until(() => out.includes('attached'), 60_000)).toBe(true);
    expect(out.trim()).toBe('attached');
    const provider = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(isAlive(provider)).toBe(true);
    owner.kill('SIGKILL');
    expect(await until(() => !isAlive(provider), 5_000)).toBe(true);
  } finally {
    owner.kill('SIGKILL');
  }
});
