/**
 * The browser the page tests drive: Debian's Chromium (package `chromium`), through
 * playwright-core, which brings no browser of its own. `BDDA_CHROMIUM` names another executable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from './scratch';

/** `chromium` on the PATH, where Debian's package puts it. */
function chromiumOnPath(): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return dirs.map((dir) => path.join(dir, 'chromium')).find((file) => fs.existsSync(file)) ?? '/usr/bin/chromium';
}

/** Where the tests leave screenshots: `BDDA_TEST_ARTIFACTS`, else `build/test-artifacts/` of the checkout. */
export function testArtifactsDir(suite: string): string {
  const dir = path.join(process.env.BDDA_TEST_ARTIFACTS ?? path.join(REPO_ROOT, 'build', 'test-artifacts'), suite);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.BDDA_CHROMIUM || chromiumOnPath();
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: install Debian's package (apt-get install -y chromium; .ci/run does) or point BDDA_CHROMIUM at a Chromium executable.`,
    );
  }
  // Chromium's sandbox refuses to start as root, which CI runs as.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath, args });
}
