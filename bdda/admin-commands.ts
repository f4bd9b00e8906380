/**
 * The small commands around the workflow: the emulator's lifecycle and breaking a stale apply lock.
 */
import type { Environment } from './config/load';
import { ensureEmulator, emulatorLogFile, emulatorStatus, stopEmulator } from './emulator';
import { BddaError } from './errors';
import { prepareTarget } from './target';
import type { Workspace } from './workspace';

export async function emulatorCommand(ws: Workspace, action: string): Promise<void> {
  switch (action) {
    case 'status': {
      const status = await emulatorStatus(ws.emulatorDir);
      console.log(status.running ? `running: pid ${status.pid}, ${status.endpoint}, log ${emulatorLogFile(ws.emulatorDir)}` : 'not running');
      return;
    }
    case 'start': {
      const info = await ensureEmulator(ws.emulatorDir);
      console.log(`${info.fresh ? 'started' : 'already running'}: pid ${info.pid}, ${info.endpoint}`);
      return;
    }
    case 'stop':
      console.log((await stopEmulator(ws.emulatorDir)) ? 'stopped; everything it held is gone' : 'was not running');
      return;
    default:
      throw new BddaError(`Unknown emulator action "${action}". Use status, start or stop: npm run emulator -- status`);
  }
}

export async function unlockEnvironment(ws: Workspace, env: Environment, yes: boolean): Promise<void> {
  const target = await prepareTarget(ws, env);
  try {
    const key = env.naming.applyLockKey;
    const lock = await target.backend.readLock(key);
    if (!lock) {
      console.log(`${env.path} holds no apply lock.`);
      return;
    }
    const holder = `${lock.who} (${lock.operation}, pid ${lock.pid} on ${lock.host}, since ${lock.since})`;
    if (!yes) {
      throw new BddaError(`The apply lock of ${env.path} is held by ${holder}. Make sure that run is dead, then break the lock with: npm run unlock -- --env ${env.path} --yes`);
    }
    await target.backend.releaseLock(key);
    console.log(`Broke the apply lock of ${env.path}, held by ${holder}.`);
  } finally {
    target.backend.destroy();
  }
}
