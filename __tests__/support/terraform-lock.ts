/**
 * Writes terraform's own state lock the way terraform does, in whichever place the backend
 * locks: the `<state key>.tflock` object (S3 lock files) or the lock table's item.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import type { StateBackend } from '../../bdda/state/state-backend';

export interface WrittenLock {
  readonly id: string;
  readonly path: string;
}

/** Puts a lock on `stateKey` held by `who`, created at `created`; returns its id. */
export async function writeTerraformLock(
  backend: StateBackend,
  endpoint: string,
  opts: { stateKey: string; who: string; created: Date },
): Promise<WrittenLock> {
  const lockPath = `${backend.bucket}/${opts.stateKey}`;
  const info = {
    ID: randomUUID(),
    Operation: 'OperationTypePlan',
    Info: '',
    Who: opts.who,
    Version: '1.11.4',
    Created: opts.created.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z'),
    Path: lockPath,
  };
  if (backend.lockTable) {
    const client = new DynamoDBClient({ region: backend.region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } });
    try {
      await client.send(new PutItemCommand({ TableName: backend.lockTable, Item: { LockID: { S: lockPath }, Info: { S: JSON.stringify(info) } } }));
    } finally {
      client.destroy();
    }
  } else {
    await backend.putObject(`${opts.stateKey}.tflock`, JSON.stringify(info));
  }
  return { id: info.ID, path: lockPath };
}
