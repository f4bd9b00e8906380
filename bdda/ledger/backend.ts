/**
 * The state backend as the ledger's readers see it: `status`, `history` and CI's claim lookup only
 * read, so they neither start the emulator nor create a bucket, and a backend they cannot reach
 * (no credentials for that account, emulator not running) is an answer, not a failure.
 */
import type { Environment } from '../../config/load';
import { emulatorStatus } from '../engines/emulator';
import { StateBackend } from '../state/state-backend';
import type { Workspace } from '../support/workspace';
import { errName } from '../state/aws-errors';

type ReadableBackend = { readonly backend: StateBackend } | { readonly unavailable: string };

/** A backend to read the environment's ledger from, or why there is none. Destroy it after use. */
async function readOnlyBackend(ws: Workspace, env: Environment): Promise<ReadableBackend> {
  const { bucket, region, lockTable } = env.config.backend;
  if (!env.config.emulated) return { backend: new StateBackend({ bucket, region, lockTable, accountId: env.config.aws.accountId }) };
  const emulator = await emulatorStatus(ws.emulatorDir);
  // The emulator keeps nothing across restarts: when it is not running, nothing is deployed or claimed.
  if (!emulator.running || !emulator.endpoint) return { unavailable: 'emulator not running' };
  return { backend: new StateBackend({ bucket, region, lockTable, endpoint: emulator.endpoint }) };
}

/** Reads with `fn`, closing the backend after; an unreadable backend gives `{ unavailable }` with the reason. */
export async function readLedger<T>(
  ws: Workspace,
  env: Environment,
  fn: (backend: StateBackend) => Promise<T>,
): Promise<{ value: T } | { unavailable: string }> {
  const readable = await readOnlyBackend(ws, env);
  if ('unavailable' in readable) return readable;
  try {
    return { value: await fn(readable.backend) };
  } catch (err) {
    return { unavailable: unreadableReason(err) };
  } finally {
    readable.backend.destroy();
  }
}

/** A short reason for a table cell: no credentials, unreachable, or the first line of the error. */
function unreadableReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const name = errName(err);
  if (/No valid AWS credentials|Could not load credentials|CredentialsProviderError/.test(`${name} ${message}`)) return 'no credentials';
  if (/Could not reach AWS/.test(message)) return 'unreachable';
  if (/AccessDenied|Forbidden/.test(`${name} ${message}`)) return 'access denied';
  return message.split('\n')[0].slice(0, 120);
}
