/** `npm run history -- --env prod/us1 [--limit N] [--json]`: the deployment records, newest first. */
import { loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { readLedger } from '../ledger/backend';
import { listDeployments, readPointer } from '../ledger/records';
import type { Workspace } from '../support/workspace';

export interface HistoryCommandOptions {
  readonly env: string;
  readonly limit: number;
  readonly json?: boolean;
}

export async function historyCommand(ws: Workspace, opts: HistoryCommandOptions): Promise<void> {
  const env = loadEnvironment(ws.root, opts.env);
  const read = await readLedger(ws, env, async (backend) => {
    const [records, pointer] = await Promise.all([listDeployments(backend, env.path, opts.limit), readPointer(backend, env.path)]);
    return records.map((r) => ({ ...r, current: r.key === pointer?.current, previous: r.key === pointer?.previous }));
  });
  if ('unavailable' in read) {
    if (read.unavailable === 'emulator not running') {
      if (opts.json) console.log('[]');
      else console.log(`No deployments of ${env.path}: the emulator is not running, and it keeps nothing across restarts.`);
      return;
    }
    throw new BddaError(
      `The deployment records of ${env.path} cannot be read from s3://${env.config.backend.bucket}: ${read.unavailable}. Give credentials for account ${env.config.aws.accountId} and run it again.`,
    );
  }
  const records = read.value;
  if (opts.json) {
    console.log(JSON.stringify(records, null, 2));
    return;
  }
  if (records.length === 0) {
    console.log(`No deployments of ${env.path} recorded.`);
    return;
  }
  for (const r of records) {
    const marks = [
      r.current ? 'current' : '',
      r.previous ? 'previous' : '',
      r.status === 'failed' ? 'FAILED' : '',
      r.forced ? `forced${r.overrodeClaimOf ? ` over ${r.overrodeClaimOf}'s claim` : ''}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    console.log(
      `${r.endedAt}  ${r.operation.padEnd(7)} ${r.sha.slice(0, 12)}  ${r.branch}${r.clean ? '' : ' (dirty tree)'}  by ${r.who}${marks ? `  [${marks}]` : ''}`,
    );
    for (const layer of r.layers)
      console.log(`    ${layer.summary}${layer.reviewed === 'preview' ? ' Reviewed as a preview; the real plan applied matched it.' : ''}`);
    if (r.error) console.log(`    error: ${r.error}`);
  }
}
