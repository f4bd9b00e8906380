/**
 * Terraform's own lock on a layer's state: the lock table's item `<bucket>/<stateKey>` when a
 * DynamoDB lock table is configured, else the `<stateKey>.tflock` object (S3 native locking).
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { awsFailure } from './aws-errors';
import type { StateObjects } from './objects';

/** Terraform's own lock record (DynamoDB item `Info`, or the `.tflock` object of S3 locking). */
export interface TerraformLockInfo {
  readonly id: string;
  readonly operation: string;
  readonly who: string;
  readonly created: string;
  readonly path: string;
}

/** Who holds terraform's lock on the state at `stateKey`; undefined when the state is not locked. */
export async function readTerraformLock(
  objects: StateObjects,
  stateKey: string,
  lockTable?: { readonly client: DynamoDBClient; readonly name: string },
): Promise<TerraformLockInfo | undefined> {
  let text: string | undefined;
  if (lockTable) {
    try {
      const out = await lockTable.client.send(
        new GetItemCommand({ TableName: lockTable.name, Key: { LockID: { S: `${objects.bucket}/${stateKey}` } }, ConsistentRead: true }),
      );
      text = out.Item?.Info?.S;
    } catch (err) {
      throw awsFailure(err, `reading terraform's lock on ${stateKey} from ${lockTable.name}`);
    }
  } else {
    text = await objects.get(`${stateKey}.tflock`);
  }
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return {
      id: String(v.ID ?? ''),
      operation: String(v.Operation ?? ''),
      who: String(v.Who ?? ''),
      created: String(v.Created ?? ''),
      path: String(v.Path ?? ''),
    };
  } catch {
    return { id: '', operation: '', who: '', created: '', path: stateKey };
  }
}
