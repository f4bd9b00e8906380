/** `npm run emulator -- status|start|stop`: the local AWS emulator's lifecycle. */
import { BddaError } from '../../config/errors';
import { ensureEmulator, emulatorLogFile, emulatorStatus, stopEmulator } from '../engines/emulator';
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
