/**
 * The host's process table (/proc on Linux) as the leftover-provider check reads it, with real
 * processes standing in for a provider: no terraform.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostProcessTable } from '../bdda/support/process-table';
import { stopLeftoverProviders } from '../bdda/workflow/leftover-providers';

const COOKIE = { TF_PLUGIN_MAGIC_COOKIE: 'stand-in' };
const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

linuxOnly('on Linux', () => {
  let stacks: string;
  let flag: string;
  const started: number[] = [];

  beforeEach(() => {
    stacks = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-stacks-')));
    flag = path.join(stacks, 'flag');
    fs.mkdirSync(flag);
  });

  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(stacks, { recursive: true, force: true });
  });

  /** A process that waits, started by a parent that exits at once: it is handed to init or a subreaper, as a killed terraform's provider is. */
  async function leftBehind(env: Record<string, string>, ignoreTerm: boolean): Promise<number> {
    const body = `${ignoreTerm ? "process.on('SIGTERM', () => undefined);" : ''} setTimeout(() => undefined, 60000);`;
    const launcher =
      `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(body)}], { detached: true, stdio: 'ignore' });` +
      'process.stdout.write(String(c.pid)); c.unref();';
    const out = spawnSync(process.execPath, ['-e', launcher], { cwd: flag, env: { ...process.env, ...env }, encoding: 'utf8' });
    const pid = Number(out.stdout);
    started.push(pid);
    // Wait until it runs its own code (its handler set) rather than node's start-up.
    await sleep(500);
    return pid;
  }

  test('lists a process by its working directory, with its parent and its environment', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60000)'], { cwd: flag, env: { ...process.env, ...COOKIE }, stdio: 'ignore' });
    started.push(child.pid as number);
    await sleep(200);
    const table = hostProcessTable();
    expect(table.processesIn(stacks)).toEqual([{ pid: child.pid, ppid: process.pid, cwd: flag }]);
    expect(table.process(child.pid as number)).toEqual({ pid: child.pid, ppid: process.pid, cwd: flag });
    expect(table.environmentHas(child.pid as number, 'TF_PLUGIN_MAGIC_COOKIE')).toBe(true);
    expect(table.environmentHas(process.pid, 'TF_PLUGIN_MAGIC_COOKIE')).toBe(false);
  });

  test('a provider left behind is stopped, with one line naming it', async () => {
    const left = await leftBehind(COOKIE, false);
    const table = hostProcessTable();
    expect(table.process(left)?.ppid).not.toBe(process.pid);
    const said: string[] = [];
    await stopLeftoverProviders(table, stacks, (m) => said.push(m));
    expect(table.alive(left)).toBe(false);
    expect(said).toEqual([expect.stringContaining(`stopped provider process ${left} in ${flag}`) as string]);
  });

  test('one that ignores SIGTERM is killed', async () => {
    const left = await leftBehind(COOKIE, true);
    const said: string[] = [];
    await stopLeftoverProviders(hostProcessTable(), stacks, (m) => said.push(m), { graceMs: 300 });
    expect(hostProcessTable().alive(left)).toBe(false);
    expect(said[0]).toContain('SIGKILL');
  });

  test('a process left behind without the plugin handshake keeps running', async () => {
    const left = await leftBehind({}, false);
    const said: string[] = [];
    await stopLeftoverProviders(hostProcessTable(), stacks, (m) => said.push(m));
    expect(hostProcessTable().alive(left)).toBe(true);
    expect(said).toEqual([]);
  });
});
