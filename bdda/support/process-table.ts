/**
 * The processes of this host, as far as the leftover-provider check needs them. On Linux it reads
 * /proc; elsewhere there is no such table and it lists nothing, so the check does nothing.
 */
import * as fs from 'node:fs';
import { isAlive } from './process-alive';

/** One process: its parent and working directory. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** The working directory; undefined when it cannot be read (another user's process). */
  readonly cwd?: string;
}

export interface ProcessTable {
  /** The processes whose working directory is `dir` or inside it. */
  processesIn(dir: string): ProcessEntry[];
  /** One process, when it exists and can be read. */
  process(pid: number): ProcessEntry | undefined;
  /** Whether the process's environment sets the variable (by name). */
  environmentHas(pid: number, name: string): boolean;
  alive(pid: number): boolean;
  /** Sends a signal; false when the process is gone or not ours. */
  signal(pid: number, signal: NodeJS.Signals): boolean;
}

/** The /proc table on Linux; an empty one elsewhere. */
export function hostProcessTable(): ProcessTable {
  const linux = process.platform === 'linux' && fs.existsSync('/proc/self/stat');
  return {
    processesIn(dir) {
      if (!linux) return [];
      const out: ProcessEntry[] = [];
      for (const name of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const cwd = readCwd(Number(name));
        if (cwd === undefined || !isInside(cwd, dir)) continue;
        const entry = readEntry(Number(name));
        if (entry) out.push(entry);
      }
      return out;
    },
    process: (pid) => (linux ? readEntry(pid) : undefined),
    environmentHas(pid, variable) {
      if (!linux) return false;
      try {
        return fs
          .readFileSync(`/proc/${pid}/environ`, 'latin1')
          .split('\0')
          .some((entry) => entry.startsWith(`${variable}=`));
      } catch {
        return false;
      }
    },
    alive: isAlive,
    signal(pid, signal) {
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Whether `file` is `dir` or inside it. */
function isInside(file: string, dir: string): boolean {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  return file === dir || file.startsWith(base);
}

function readCwd(pid: number): string | undefined {
  try {
    // A removed directory (a preview's scratch copy) reads as "<path> (deleted)".
    return fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

function readEntry(pid: number): ProcessEntry | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may itself hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { pid, ppid, cwd: readCwd(pid) };
  } catch {
    return undefined;
  }
}
