/** `npm run status [--json]`: one table of every environment. */
import { environmentStatuses, renderStatusTable } from '../ledger/status';
import type { Workspace } from '../support/workspace';

export async function statusCommand(ws: Workspace, opts: { readonly json?: boolean }): Promise<void> {
  const rows = await environmentStatuses(ws);
  console.log(opts.json ? JSON.stringify(rows, null, 2) : renderStatusTable(rows));
}
