/**
 * Provider processes a killed terraform left behind. Terraform starts each provider as a child
 * process in its own working directory; when terraform is killed outright (SIGKILL, an OOM kill, a
 * CI runner that gives up), the provider is handed to init or a subreaper and keeps running, for
 * an hour or more, with hundreds of MB. Every command on an environment first stops those of its
 * layer directories.
 *
 * A provider is told by what terraform gives it, never by its name: go-plugin's handshake
 * variable in its environment, and a working directory inside the environment's `stacks/`. It
 * is left behind when its parent is no longer a process in that same directory (its terraform).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessTable } from '../support/process-table';
import { displayPath } from '../support/workspace';

/** How long SIGKILL may take to end a process (it is the kernel's work, not the process's). */
const KILL_WAIT_MS = 1000;

/** Set by terraform and OpenTofu in every provider (plugin) process they start, and in no other. */
const PLUGIN_HANDSHAKE_VARIABLE = 'TF_PLUGIN_MAGIC_COOKIE';

interface LeftoverProvider {
  readonly pid: number;
  /** Its working directory: the layer's (or a preview's scratch copy). */
  readonly dir: string;
}

/** The provider processes under `stacksDir` whose terraform is gone. */
export function findLeftoverProviders(table: ProcessTable, stacksDir: string): LeftoverProvider[] {
  const found: LeftoverProvider[] = [];
  for (const p of table.processesIn(stacksDir)) {
    if (p.cwd === undefined || p.pid === process.pid || !table.environmentHas(p.pid, PLUGIN_HANDSHAKE_VARIABLE)) continue;
    // A running terraform works in the directory it started its providers in; init or a subreaper does not.
    const parent = table.process(p.ppid);
    if (parent?.cwd === p.cwd) continue;
    found.push({ pid: p.pid, dir: p.cwd });
  }
  return found;
}

export interface StopOptions {
  /** How long a provider has to exit after SIGTERM before it gets SIGKILL. @default 2000 */
  readonly graceMs?: number;
}

/** Stops the leftover providers under `stacksDir`: SIGTERM, then SIGKILL after the grace time; one line each. */
export async function stopLeftoverProviders(table: ProcessTable, stacksDir: string, say: (message: string) => void, opts: StopOptions = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 2000;
  const found = findLeftoverProviders(table, stacksDir);
  if (found.length === 0) return;
  for (const p of found) table.signal(p.pid, 'SIGTERM');
  await waitUntilGone(table, found, graceMs);
  // Still running, and still the same process (a pid can be reused): it ignored SIGTERM.
  const forced = new Set(found.filter((p) => table.alive(p.pid) && table.process(p.pid)?.cwd === p.dir && table.signal(p.pid, 'SIGKILL')).map((p) => p.pid));
  if (forced.size > 0) await waitUntilGone(table, found, KILL_WAIT_MS);
  for (const p of found) {
    say(
      `stopped provider process ${p.pid} in ${displayPath(p.dir)}${forced.has(p.pid) ? ' (SIGKILL: it ignored SIGTERM)' : ''}: ` +
        'its terraform was killed and it kept running.',
    );
  }
}

async function waitUntilGone(table: ProcessTable, processes: readonly LeftoverProvider[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (processes.some((p) => table.alive(p.pid)) && Date.now() < deadline) await sleep(50);
}
