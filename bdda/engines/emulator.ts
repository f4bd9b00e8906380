/**
 * The local AWS emulator (moto's server mode) as a background service that outlives the command
 * which started it, so that `apply` finds what `plan` saw. Its run folder holds `pid`, `port` and
 * `moto.log`; by default that is `<repo>/.bdda/emulator`.
 *
 * moto keeps everything in memory: once it stops, every resource and every state file is gone.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { removeFile, writeFileAtomic } from '../support/fs-atomic';
import { tools } from './tools';
import { isAlive } from '../support/process-alive';

/** The port when neither the caller nor `BDDA_EMULATOR_PORT` names one. */
const DEFAULT_EMULATOR_PORT = 4599;

/** How long a starting moto may take to answer. */
const START_TIMEOUT_MS = 30_000;
/** How long a stopping moto gets after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

export interface EmulatorInfo {
  /** e.g. `http://127.0.0.1:4599` */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** True when this call started it: nothing from earlier runs exists in it. */
  readonly fresh: boolean;
}

export interface EmulatorStatus {
  readonly running: boolean;
  readonly pid?: number;
  readonly port?: number;
  readonly endpoint?: string;
}

/** The emulator's log file in `runDir`. */
export function emulatorLogFile(runDir: string): string {
  return path.join(runDir, 'moto.log');
}

export function emulatorEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * Returns the running emulator of `runDir`, or starts one (detached, logging to `moto.log`) and
 * waits until it answers.
 */
export function ensureEmulator(runDir: string, opts: { port?: number } = {}): Promise<EmulatorInfo> {
  // `plan --all` asks for the emulator from several environments at once: one start serves all.
  const key = `${path.resolve(runDir)}:${resolvePort(opts.port)}`;
  let pending = starting.get(key);
  if (!pending) {
    pending = withStartLock(runDir, () => startOrReuse(runDir, opts)).finally(() => starting.delete(key));
    starting.set(key, pending);
  }
  return pending;
}

const starting = new Map<string, Promise<EmulatorInfo>>();

/**
 * Serialises starts across processes (two plans in two terminals): the second waits for the
 * first's emulator to be recorded, then reuses it. A lock older than a start can take is stale.
 */
async function withStartLock<T>(runDir: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, 'start.lock');
  const staleAfter = START_TIMEOUT_MS + 5000;
  const deadline = Date.now() + staleAfter * 2;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(file, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > staleAfter) fs.rmSync(file, { force: true });
    else if (Date.now() > deadline)
      throw new BddaError(`Another command has been starting the emulator of ${runDir} for too long; remove ${file} if no bdda command runs.`);
    else await sleep(200);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function startOrReuse(runDir: string, opts: { port?: number }): Promise<EmulatorInfo> {
  const port = resolvePort(opts.port);
  fs.mkdirSync(runDir, { recursive: true });
  const log = emulatorLogFile(runDir);

  const recorded = readRecord(runDir);
  if (recorded && isAlive(recorded.pid) && looksLikeMoto(recorded.pid)) {
    if (recorded.port !== port) {
      throw new BddaError(
        `The emulator of ${runDir} already runs on port ${recorded.port} (pid ${recorded.pid}), not on the port ${port} ` +
          `asked for. Use port ${recorded.port} (unset BDDA_EMULATOR_PORT or set it to ${recorded.port}), or stop the ` +
          `emulator first with \`npm run emulator -- stop\` (everything in it is lost).`,
      );
    }
    // Started by an earlier command, perhaps still starting up.
    if (await waitUntilAnswers(port, recorded.pid, START_TIMEOUT_MS)) {
      return { endpoint: emulatorEndpoint(port), port, pid: recorded.pid, fresh: false };
    }
    throw new BddaError(
      `The emulator of ${runDir} (pid ${recorded.pid}) does not answer on port ${port}. See its log, ${log}; ` +
        `stop it with \`npm run emulator -- stop\` and run the command again.`,
    );
  }
  // A pid file of a dead (or recycled) process: forget it.
  if (recorded) clearRecord(runDir);

  const occupant = await probe(port);
  if (occupant !== 'none') {
    const what = occupant === 'moto' ? 'another moto_server, not the one of this project' : 'another process';
    throw new BddaError(
      `Cannot start the AWS emulator: port ${port} on 127.0.0.1 is taken by ${what}. Stop that process, or set ` +
        `BDDA_EMULATOR_PORT to a free port. The emulator's log is ${log}.`,
    );
  }

  const binary = tools().motoServer;
  if (!findExecutable(binary)) {
    throw new BddaError(
      `The AWS emulator's program, ${binary}, was not found${binary.includes('/') ? '' : ' on PATH'}. Install it with ` +
        `\`pip install 'moto[server]'\`, or set MOTO_SERVER_BINARY to the moto_server program.`,
    );
  }

  const logFd = fs.openSync(log, 'a');
  fs.writeSync(logFd, `\n--- bdda: starting ${binary} on 127.0.0.1:${port} at ${new Date().toISOString()}\n`);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    cwd: runDir,
    detached: true,
    stdio: ['ignore', logFd, logFd],
    // Without managed policies loaded, attaching an AWS managed policy to a role fails.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  });
  fs.closeSync(logFd);
  child.on('error', (err) => (spawnError = err));
  child.on('exit', (code, signal) => (exited = { code, signal }));
  child.unref();

  const pid = child.pid;
  if (pid === undefined) {
    await sleep(50);
    throw new BddaError(`Could not start ${binary}: ${spawnError?.message ?? 'no process'}. See ${log}.`);
  }

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited || spawnError) {
      const tail = logTail(log);
      const taken = /address already in use|errno 98/i.test(tail);
      throw new BddaError(
        `The AWS emulator (${binary}) exited while starting on port ${port}` +
          (exited ? ` (${exited.signal ?? `exit code ${exited.code}`})` : `: ${spawnError?.message}`) +
          (taken ? `: the port is taken by another process. Stop it, or set BDDA_EMULATOR_PORT to a free port` : '') +
          `. See its log, ${log}.`,
      );
    }
    if ((await probe(port)) === 'moto') break;
    if (Date.now() > deadline) {
      await killAndWait(pid);
      throw new BddaError(`The AWS emulator did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s and was stopped. ` + `See its log, ${log}.`);
    }
    await sleep(200);
  }

  writeRecord(runDir, { pid, port });
  return { endpoint: emulatorEndpoint(port), port, pid, fresh: true };
}

/**
 * Records the running emulator of `runDir` in `otherDir` as well, so that commands of another root
 * (a kept scratch copy) reuse it instead of refusing its port as a stranger's. Stopping it from
 * either folder stops it for both; the other record is then forgotten as a dead pid.
 */
export function shareEmulator(runDir: string, otherDir: string): void {
  const recorded = readRecord(runDir);
  if (!recorded) throw new BddaError(`No emulator is recorded in ${runDir}, so there is none to share with ${otherDir}.`);
  fs.mkdirSync(otherDir, { recursive: true });
  writeRecord(otherDir, recorded);
}

/** Whether the emulator of `runDir` runs and answers. */
export async function emulatorStatus(runDir: string): Promise<EmulatorStatus> {
  const recorded = readRecord(runDir);
  if (!recorded || !isAlive(recorded.pid) || !looksLikeMoto(recorded.pid)) return { running: false };
  const running = (await probe(recorded.port)) === 'moto';
  return { running, pid: recorded.pid, port: recorded.port, endpoint: emulatorEndpoint(recorded.port) };
}

/**
 * Stops the emulator of `runDir` (SIGTERM, then SIGKILL after a grace period) and removes its pid
 * and port files. Returns whether it was running. Everything in it is lost.
 */
export async function stopEmulator(runDir: string): Promise<boolean> {
  const recorded = readRecord(runDir);
  let wasRunning = false;
  if (recorded && isAlive(recorded.pid) && looksLikeMoto(recorded.pid)) {
    wasRunning = true;
    await killAndWait(recorded.pid);
  }
  clearRecord(runDir);
  return wasRunning;
}

// ---------------------------------------------------------------------------------------------

function resolvePort(requested: number | undefined): number {
  const fromEnv = process.env.BDDA_EMULATOR_PORT;
  const port = requested ?? (fromEnv ? Number(fromEnv) : DEFAULT_EMULATOR_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BddaError(
      `${requested !== undefined ? 'The emulator port' : `BDDA_EMULATOR_PORT (${JSON.stringify(fromEnv)})`} is not a ` +
        `port number; use an integer from 1024 to 65535.`,
    );
  }
  return port;
}

/** The pid and port recorded in `runDir`, whether or not that process still runs. */
export function readRecord(runDir: string): { pid: number; port: number } | undefined {
  const read = (name: string): number | undefined => {
    try {
      const n = Number(fs.readFileSync(path.join(runDir, name), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const pid = read('pid');
  const port = read('port');
  return pid !== undefined && port !== undefined ? { pid, port } : undefined;
}

function writeRecord(runDir: string, record: { pid: number; port: number }): void {
  writeFileAtomic(path.join(runDir, 'pid'), `${record.pid}\n`);
  writeFileAtomic(path.join(runDir, 'port'), `${record.port}\n`);
}

function clearRecord(runDir: string): void {
  removeFile(path.join(runDir, 'pid'));
  removeFile(path.join(runDir, 'port'));
}

/**
 * Whether the process is a moto server, so a recycled pid is never mistaken for ours (and never
 * signalled). Without /proc, assumes it is.
 */
function looksLikeMoto(pid: number): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /moto/i.test(cmdline) || cmdline.includes(path.basename(tools().motoServer));
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/**
 * What listens on 127.0.0.1:`port`: nothing, moto (its dashboard at /moto-api/), or something else.
 */
async function probe(port: number): Promise<'none' | 'moto' | 'other'> {
  const open = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(true); // something accepted the SYN, or a firewall drops it: treat as taken
    });
    socket.once('error', () => resolve(false));
  });
  if (!open) return 'none';
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/moto-api/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 65536) body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 && /<title>\s*moto\s*<\/title>/i.test(body) ? 'moto' : 'other'));
      res.on('error', () => resolve('other'));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('other'));
  });
}

async function waitUntilAnswers(port: number, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await probe(port)) === 'moto') return true;
    if (!isAlive(pid) || Date.now() > deadline) return false;
    await sleep(200);
  }
}

async function killAndWait(pid: number): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal('SIGKILL');
    const hard = Date.now() + STOP_GRACE_MS;
    while (isAlive(pid) && Date.now() < hard) await sleep(100);
  }
}

function findExecutable(binary: string): boolean {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, binary));
  return candidates.some((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

function logTail(file: string, bytes = 4000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
