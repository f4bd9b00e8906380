/**
 * `npm run review -- --env <name> [--open]`: the review page of an environment's current diff,
 * written to `build/review/`; `--all` writes every environment's page and an index of them.
 */
import { spawn } from 'node:child_process';
import { listEnvironments, loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { environmentStatuses } from '../ledger/status';
import { writeReviewIndex, writeReviewPage } from '../review/write';
import { displayPath, type Workspace } from '../support/workspace';

export interface ReviewCommandOptions {
  readonly env?: string;
  readonly all?: boolean;
  /** Open the page (the index with --all) in a browser, where one is available. @default false */
  readonly open?: boolean;
}

/** Writes the page(s), prints each path; returns the file that `--open` opens. */
export async function reviewCommand(ws: Workspace, opts: ReviewCommandOptions): Promise<string> {
  if (!!opts.env === !!opts.all) throw new BddaError('Pass either --env <name> (one environment) or --all (every environment and an index) to review.');
  let opened: string;
  if (opts.env) {
    opened = await writeReviewPage(ws, loadEnvironment(ws.root, opts.env));
    console.log(displayPath(opened, ws.root));
  } else {
    for (const ref of listEnvironments(ws.root)) console.log(displayPath(await writeReviewPage(ws, loadEnvironment(ws.root, ref.path)), ws.root));
    opened = writeReviewIndex(ws, await environmentStatuses(ws));
    console.log(displayPath(opened, ws.root));
  }
  if (opts.open) openInBrowser(opened);
  return opened;
}

/**
 * Hands the file to the desktop's opener (`open` on macOS, `xdg-open` on a Linux desktop); on a
 * machine without a display it says so instead.
 */
function openInBrowser(file: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? undefined : 'xdg-open';
  const desktop = process.platform === 'darwin' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
  if (!opener || !desktop) {
    console.log(`No browser is available here (no display); open ${file} where one is.`);
    return;
  }
  const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
  child.on('error', () => console.log(`${opener} could not be started; open ${file} in a browser.`));
  child.unref();
}
