/**
 * What to say when a layer's apply fails part-way. The primary failure comes first: when the
 * emulator died under terraform, terraform's own error is a wall of `connection refused`, and
 * the one thing that matters is that the emulator, and everything it held, is gone.
 */
import type { PlanContext } from './context';
import { LABEL } from '../layers/index';
import { emulatorStatus } from '../engines/emulator';
import { BddaError } from '../../config/errors';
import { INTERRUPTED_EXIT_CODE, interruptSignal } from '../support/interrupt';
import type { Layer } from '../../config/naming';

/** Runs one layer's apply; a failure is rethrown with what it means for the environment first. */
export async function applyingLayer(ctx: PlanContext, layer: Layer, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw await explainApplyFailure(ctx, layer, err);
  }
}

async function explainApplyFailure(ctx: PlanContext, layer: Layer, err: unknown): Promise<unknown> {
  const { env } = ctx;
  const detail = err instanceof Error ? err.message : String(err);
  if (interruptSignal()) {
    return new BddaError(
      `${LABEL[layer]}'s apply of ${env.path} was interrupted (${interruptSignal()}); terraform saved what it had done. ` +
        `${LABEL[layer]} and the layers after it are still in changes.txt. Run \`npm run plan -- --env ${env.path}\` and apply again to converge.\n\n${detail}`,
      { exitCode: INTERRUPTED_EXIT_CODE, cause: err },
    );
  }
  if (env.config.emulated && !(await emulatorStatus(ctx.ws.emulatorDir)).running) {
    return new BddaError(
      `The emulator stopped answering during ${LABEL[layer]}'s apply of ${env.path}: ${LABEL[layer]} may be partly applied, ` +
        `and since the emulator keeps nothing across restarts, everything it held (state, locks, resources) is gone. ` +
        `Run \`npm run plan -- --env ${env.path}\`: it starts a fresh emulator, where every layer plans as new; review and apply that. ` +
        `The emulator's log is under .bdda/emulator/.\n\nterraform said:\n${detail}`,
      { cause: err },
    );
  }
  if (err instanceof BddaError) {
    return new BddaError(
      `${LABEL[layer]}'s apply of ${env.path} failed; ${LABEL[layer]} may be partly applied and stays in changes.txt with the layers after it. ${err.message}`,
      { exitCode: err.exitCode, cause: err },
    );
  }
  return err;
}
