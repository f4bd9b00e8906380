/**
 * Which processes the start of a command stops as providers left by a killed terraform, and how,
 * over a fake process table (the soak tier kills a real terraform).
 */
import type { ProcessEntry, ProcessTable } from '../bdda/support/process-table';
import { findLeftoverProviders, stopLeftoverProviders } from '../bdda/workflow/leftover-providers';

const STACKS = '/repo/build/dev/dev2/stacks';
const FLAG = `${STACKS}/flag`;
const KARR = `${STACKS}/karr`;
const COOKIE = 'TF_PLUGIN_MAGIC_COOKIE';

interface FakeProcess extends ProcessEntry {
  readonly environment?: readonly string[];
  /** Whether SIGTERM stops it. @default true */
  readonly stopsOnTerm?: boolean;
}

/** A process table holding `processes`; signals are recorded and stop a process as asked. */
function fakeTable(processes: readonly FakeProcess[]): ProcessTable & { signals: string[] } {
  const running = new Map(processes.map((p) => [p.pid, p]));
  const signals: string[] = [];
  const inside = (cwd: string | undefined, dir: string) => cwd !== undefined && (cwd === dir || cwd.startsWith(`${dir}/`));
  return {
    signals,
    processesIn: (dir) => [...running.values()].filter((p) => inside(p.cwd, dir)),
    process: (pid) => running.get(pid),
    environmentHas: (pid, name) => running.get(pid)?.environment?.includes(name) ?? false,
    alive: (pid) => running.has(pid),
    signal(pid, signal) {
      const p = running.get(pid);
      if (!p) return false;
      signals.push(`${signal} ${pid}`);
      if (signal === 'SIGKILL' || p.stopsOnTerm !== false) running.delete(pid);
      return true;
    },
  };
}

const bdda = { pid: 100, ppid: 1, cwd: '/repo' };
const runningTerraform = { pid: 200, ppid: 100, cwd: FLAG };
const providerOfRunning = { pid: 201, ppid: 200, cwd: FLAG, environment: [COOKIE] };
const leftOnInit = { pid: 301, ppid: 1, cwd: FLAG, environment: [COOKIE] };
const leftOnSubreaper = { pid: 302, ppid: 100, cwd: KARR, environment: [COOKIE] };

test('a provider whose terraform still runs in its directory is left alone, and so is that terraform', () => {
  expect(findLeftoverProviders(fakeTable([bdda, runningTerraform, providerOfRunning]), STACKS)).toEqual([]);
});

test('a provider handed to init or to a subreaper working elsewhere is left behind', () => {
  const table = fakeTable([bdda, runningTerraform, providerOfRunning, leftOnInit, leftOnSubreaper]);
  expect(findLeftoverProviders(table, STACKS)).toEqual([
    { pid: 301, dir: FLAG },
    { pid: 302, dir: KARR },
  ]);
});

test("a preview's scratch copy is inside the environment's stacks and counts too", () => {
  const preview = { pid: 303, ppid: 1, cwd: `${STACKS}/karr.preview`, environment: [COOKIE] };
  expect(findLeftoverProviders(fakeTable([preview]), STACKS)).toEqual([{ pid: 303, dir: `${STACKS}/karr.preview` }]);
});

test('a process without the plugin handshake is never taken for a provider, whatever its directory or parent', () => {
  const orphanedTerraform = { pid: 400, ppid: 1, cwd: FLAG, environment: ['TF_CLI_CONFIG_FILE'] };
  const shell = { pid: 401, ppid: 1, cwd: KARR };
  expect(findLeftoverProviders(fakeTable([orphanedTerraform, shell]), STACKS)).toEqual([]);
});

test("another environment's providers and those of a directory that only shares the prefix are not this environment's", () => {
  const otherEnv = { pid: 500, ppid: 1, cwd: '/repo/build/dev/dev3/stacks/flag', environment: [COOKIE] };
  const samePrefix = { pid: 501, ppid: 1, cwd: `${STACKS}-old/flag`, environment: [COOKIE] };
  expect(findLeftoverProviders(fakeTable([otherEnv, samePrefix]), STACKS)).toEqual([]);
});

test('each left provider gets SIGTERM and one line naming its pid and directory', async () => {
  const table = fakeTable([bdda, runningTerraform, providerOfRunning, leftOnInit, leftOnSubreaper]);
  const said: string[] = [];
  await stopLeftoverProviders(table, STACKS, (m) => said.push(m), { graceMs: 0 });
  expect(table.signals).toEqual(['SIGTERM 301', 'SIGTERM 302']);
  expect(said).toHaveLength(2);
  expect(said[0]).toMatch(new RegExp(`^stopped provider process 301 in ${FLAG}: `));
  expect(said[1]).toMatch(new RegExp(`^stopped provider process 302 in ${KARR}: `));
  expect(table.alive(201)).toBe(true);
  expect(table.alive(200)).toBe(true);
});

test('a provider that ignores SIGTERM gets SIGKILL after the grace time, and the line says so', async () => {
  const table = fakeTable([{ ...leftOnInit, stopsOnTerm: false }]);
  const said: string[] = [];
  await stopLeftoverProviders(table, STACKS, (m) => said.push(m), { graceMs: 0 });
  expect(table.signals).toEqual(['SIGTERM 301', 'SIGKILL 301']);
  expect(said).toEqual([expect.stringContaining('301') as string]);
  expect(said[0]).toContain('SIGKILL');
});

test('nothing left behind: no signal and no line', async () => {
  const table = fakeTable([bdda, runningTerraform, providerOfRunning]);
  const said: string[] = [];
  await stopLeftoverProviders(table, STACKS, (m) => said.push(m));
  expect(table.signals).toEqual([]);
  expect(said).toEqual([]);
});
