/**
 * The set-up most emulator suites share: a scratch root as BDDA_ROOT, the suite's own emulator
 * port, stdin that is not a terminal (what CI sees, whatever runs jest), and the state bucket of
 * one environment; at the end the emulator is stopped by pid, the root removed and every variable
 * put back.
 */
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { workspace } from '../../bdda/support/workspace';
import { restoreEnv } from './cli-harness';
import { makeGitScratch } from './git-scratch';
import { makeScratch, removeScratch } from './scratch';

export interface EmulatedSuiteOptions {
  /** The suite's emulator port (see testEmulatorPort). */
  readonly port: number;
  /** The environment whose state bucket `backend` reads, e.g. `dev/dev2`. */
  readonly env: string;
  /** A git repository (records, claims and sync read git) instead of a plain copy. @default false */
  readonly git?: boolean;
  /** Further variables the suite sets, put back after it. @default none */
  readonly restore?: readonly string[];
  /** Changes to the scratch root before anything reads it, e.g. a config edit. @default none */
  readonly prepare?: (root: string) => void;
}

export interface EmulatedSuite {
  /** The scratch root. */
  readonly root: string;
  /** The state bucket of the suite's environment, on the suite's emulator. */
  readonly backend: StateBackend;
}

/** Registers the suite's beforeAll and afterAll; the returned values exist from the first test on. */
export function emulatedSuite(opts: EmulatedSuiteOptions): EmulatedSuite {
  const names = ['BDDA_ROOT', 'BDDA_EMULATOR_PORT', ...(opts.restore ?? [])];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  const savedTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  let root: string | undefined;
  let backend: StateBackend | undefined;

  beforeAll(() => {
    root = opts.git ? makeGitScratch() : makeScratch();
    opts.prepare?.(root);
    process.env.BDDA_ROOT = root;
    process.env.BDDA_EMULATOR_PORT = String(opts.port);
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true, writable: true });
    const { bucket, region, lockTable } = loadEnvironment(root, opts.env).config.backend;
    backend = new StateBackend({ bucket, region, lockTable, endpoint: emulatorEndpoint(opts.port) });
  });

  afterAll(async () => {
    try {
      backend?.destroy();
      if (root) await stopEmulator(workspace(root).emulatorDir);
    } finally {
      if (root) removeScratch(root);
      for (const name of names) restoreEnv(name, saved[name]);
      if (savedTty) Object.defineProperty(process.stdin, 'isTTY', savedTty);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
  });

  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the emulated suite is set up in beforeAll; use it inside tests and hooks');
    return value;
  };
  return {
    get root() {
      return ready(root);
    },
    get backend() {
      return ready(backend);
    },
  };
}
