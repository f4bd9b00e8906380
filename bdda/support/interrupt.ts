/**
 * SIGINT and SIGTERM for a whole CLI run, so that terraform receives exactly one interrupt however
 * the signal arrives: a terminal's Ctrl-C (the whole foreground process group), a CI runner's
 * `kill` of the group, `kill` of node alone, or npm forwarding what it got.
 *
 * Terraform, like every program bdda runs (process.ts), runs in a process group of its own, so no
 * group signal reaches it directly; this module forwards one SIGINT to every running child and lets the
 * command stop at its next safe point (no new terraform starts), release its locks and exit 130.
 * Signals within {@link SAME_PRESS_MS} of each other are one press (npm forwards the group signal
 * that node got too). A second press is only reported; a third forwards a second SIGINT, which
 * makes terraform stop at once, as it does at a terminal.
 *
 * The cost of the own group: when node is killed outright (SIGKILL), terraform is not killed with
 * it. It keeps running until it next writes to its output pipe, which is gone: Go programs then
 * die of SIGPIPE. `npm run unlock` breaks any state lock it left.
 */
import type { ChildProcess } from 'node:child_process';
import { BddaError } from '../../config/errors';

/** Signals this close together are one press, delivered twice (by the group and by npm). */
const SAME_PRESS_MS = 1000;

/** The exit code of a run stopped by SIGINT or SIGTERM, as shells report it for SIGINT. */
export const INTERRUPTED_EXIT_CODE = 130;

/** Thrown at a safe point after an interrupt: nothing more is started. */
class InterruptedError extends BddaError {
  constructor(signal: NodeJS.Signals) {
    super(`Interrupted (${signal}) before the next step started; nothing more was started.`, { exitCode: INTERRUPTED_EXIT_CODE });
    this.name = 'InterruptedError';
  }
}

let received: NodeJS.Signals | undefined;
let presses = 0;
let lastSignalAt = 0;
const children = new Set<ChildProcess>();

/** The signal that interrupted this run, if any. */
export function interruptSignal(): NodeJS.Signals | undefined {
  return received;
}

/** Throws {@link InterruptedError} once an interrupt came in; call it before starting a step. */
export function throwIfInterrupted(): void {
  if (received) throw new InterruptedError(received);
}

/** Registers a running child (started in its own process group) to receive the run's interrupt; returns the unregister function. */
export function trackChild(child: ChildProcess): () => void {
  children.add(child);
  // An interrupt that came in while it was being spawned still reaches it, once.
  if (received) sendInterrupt(child);
  return () => children.delete(child);
}

function sendInterrupt(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill('SIGINT');
  } catch {
    // already gone
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const now = Date.now();
  const samePress = now - lastSignalAt < SAME_PRESS_MS;
  lastSignalAt = now;
  if (samePress) return;
  presses += 1;
  if (presses === 1) {
    received = signal;
    const running = children.size > 0 ? ' Terraform finishes the operations in flight, saves its state and releases its lock.' : '';
    console.error(`${signal} received: stopping at the next safe point.${running} Interrupt twice more to make terraform stop at once.`);
    children.forEach(sendInterrupt);
  } else if (presses === 2) {
    console.error(`${signal} received again: still waiting for terraform to stop cleanly. One more interrupt makes it stop at once, which can lose state.`);
  } else if (presses === 3) {
    console.error(`${signal} received a third time: telling terraform to stop at once.`);
    children.forEach(sendInterrupt);
  }
}

/**
 * Handles SIGINT and SIGTERM until the returned function is called (at the end of the CLI run).
 * Resets the state of a previous run, so tests can run the CLI in-process many times.
 */
export function installInterruptHandlers(): () => void {
  received = undefined;
  presses = 0;
  lastSignalAt = 0;
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}
