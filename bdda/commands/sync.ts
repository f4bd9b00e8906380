/** `npm run sync -- --env dev2 [--ref origin/main] [--yes] [--force]` */
import { loadEnvironment } from '../../config/load';
import { syncEnvironment } from '../ledger/sync';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';

export interface SyncCommandOptions {
  readonly env: string;
  readonly ref?: string;
  readonly yes?: boolean;
  readonly force?: boolean;
}

export async function syncCommand(ws: Workspace, opts: SyncCommandOptions, progress: Progress): Promise<void> {
  const env = loadEnvironment(ws.root, opts.env);
  const outcome = await syncEnvironment(ws, env, { ref: opts.ref, yes: opts.yes, force: opts.force }, progress);
  if (outcome === 'applied') {
    console.log(
      `${env.path} now matches ${opts.ref ?? 'main'}. Plan your branch on it (\`npm run plan -- --env ${env.path}\`): the diff shows only your change.`,
    );
  }
}
