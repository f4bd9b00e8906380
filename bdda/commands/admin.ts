/**
 * The small commands around the workflow: the emulator's lifecycle and breaking stale locks.
 */
import type { Environment } from '../../config/load';
import { LABEL, terraformFor, withContext } from '../workflow/context';
import { ensureEmulator, emulatorLogFile, emulatorStatus, stopEmulator } from '../engines/emulator';
import { BddaError } from '../../config/errors';
import { silentProgress } from '../support/progress';
import type { Workspace } from '../support/workspace';

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

/**
 * Breaks the locks a killed apply, destroy or plan left behind: the environment's apply lock and
 * terraform's state locks of FLAG and KARR. Without `yes` it only says who holds what.
 */
export async function unlockEnvironment(ws: Workspace, env: Environment, yes: boolean): Promise<void> {
  await withContext(ws, env, silentProgress, undefined, async (ctx) => {
    const { backend } = ctx.target;
    const apply = await backend.readLock(env.naming.applyLockKey);
    const states = (
      await Promise.all(
        (['flag', 'karr'] as const).map(async (layer) => ({ layer, lock: await backend.terraformLockInfo(env.naming.stateKey(layer)) })),
      )
    ).filter((s) => s.lock !== undefined);
    const held = [
      ...(apply ? [`the apply lock, held by ${apply.who} (${apply.operation}, pid ${apply.pid} on ${apply.host}, since ${apply.since})`] : []),
      ...states.map(({ layer, lock }) => `${LABEL[layer]}'s state lock ${lock?.id}, held by ${lock?.who} (${lock?.operation}, since ${lock?.created})`),
    ];
    if (held.length === 0) {
      console.log(`${env.path} holds no locks.`);
      return;
    }
    if (!yes) {
      throw new BddaError(`${env.path} holds ${held.join('; ')}. Make sure those runs are dead, then break the locks with: npm run unlock -- --env ${env.path} --yes`);
    }
    for (const { layer, lock } of states) {
      const tf = terraformFor(ctx, layer);
      await tf.init();
      await tf.forceUnlock(lock?.id ?? '');
    }
    if (apply) await backend.releaseLock(env.naming.applyLockKey);
    console.log(`Broke ${held.join('; ')}.`);
  });
}
