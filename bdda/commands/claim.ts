/** `npm run claim -- --env dev2 [--for 8h] [--note "..."] [--release [--force]]` */
import { loadEnvironment } from '../../config/load';
import { claimEnvironment } from '../ledger/claims';
import type { Workspace } from '../support/workspace';

export interface ClaimCommandOptions {
  readonly env: string;
  readonly for?: string;
  readonly note?: string;
  readonly release?: boolean;
  readonly force?: boolean;
}

export async function claimCommand(ws: Workspace, opts: ClaimCommandOptions): Promise<void> {
  const env = loadEnvironment(ws.root, opts.env);
  const outcome = await claimEnvironment(ws, env, { for: opts.for, note: opts.note, release: opts.release, force: opts.force });
  const lease = outcome.lease;
  switch (outcome.action) {
    case 'claimed':
    case 'renewed':
      console.log(
        `${env.path} ${outcome.action} by ${outcome.lease.who} (branch ${outcome.lease.branch}) until ${outcome.lease.until}${outcome.lease.note ? `: "${outcome.lease.note}"` : ''}.`,
      );
      console.log(`Others' apply, destroy and sync of ${env.path} are refused until then. Give it back with \`npm run claim -- --env ${env.path} --release\`.`);
      break;
    case 'released':
      console.log(`${env.path} released (it was claimed by ${lease?.who} until ${lease?.until}).`);
      break;
    case 'not-claimed':
      console.log(`${env.path} is not claimed; nothing to release.`);
      break;
  }
}
