/**
 * The review page in a real browser (Debian's Chromium through playwright-core): dev/dev2 is
 * planned once against a private emulator, with one Namespace recorded as deployed that the chart
 * no longer has, so the diff holds a deletion beside FLAG's creations, KARR's preview and
 * Goliath's objects. Every check then reads the page `npm run review` wrote; each page tested is
 * saved as a screenshot under build/test-artifacts/review-browser/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type ChangesRecord, readChanges } from '../../bdda/diff/changes';
import { loadEnvironment } from '../../config/load';
import { launchChromium, testArtifactsDir } from '../support/browser';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';

const PORT = testEmulatorPort(25870);
const DEV2 = 'dev/dev2';

const suite = emulatedSuite({ port: PORT, env: DEV2, git: true });
const captured = captureConsole();
const artifacts = () => testArtifactsDir('review-browser');

let browser: Browser | undefined;
let record: ChangesRecord;
let pagePath: string;

async function expectRun(...args: string[]): Promise<string[]> {
  const code = await runCli(captured, ...args);
  if (code !== 0) throw new Error(`bdda ${args.join(' ')} exited ${code}:\n${captured.errors.join('\n')}\n${captured.logs.join('\n').slice(-3000)}`);
  return [...captured.logs];
}

beforeAll(async () => {
  // A Namespace deployed earlier that the chart no longer has: the plan deletes it.
  await expectRun('emulator', 'start');
  await suite.backend.ensure();
  const legacy = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy', labels: { 'app.kubernetes.io/managed-by': 'goliath' } } };
  await suite.backend.putObject(loadEnvironment(suite.root, DEV2).naming.stateKey('goliath'), stringify(legacy), 'application/yaml');
  await expectRun('plan', '--env', 'dev2');
  record = readChanges(path.join(suite.root, 'environments', DEV2))?.record as ChangesRecord;
  pagePath = path.join(suite.root, 'build', 'review', 'dev', 'dev2.html');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A fresh context and page on `file`, with every request it makes and every console error recorded. */
async function open(file: string): Promise<{ context: BrowserContext; page: Page; requests: string[]; problems: string[] }> {
  if (!browser) throw new Error('the browser is launched in beforeAll');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const problems: string[] = [];
  context.on('request', (r) => void requests.push(r.url()));
  const page = await context.newPage();
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  page.on('pageerror', (e) => void problems.push(e.message));
  await page.goto(`file://${file}`);
  return { context, page, requests, problems };
}

async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(artifacts(), `${name}.png`), fullPage });
}

test('plan wrote the page, and review writes it again and prints its path', async () => {
  const planned = fs.readFileSync(pagePath, 'utf8');
  expect(planned.length).toBeLessThan(1024 * 1024);
  await expect(expectRun('review', '--env', 'dev2')).resolves.toEqual(['build/review/dev/dev2.html']);
  // Nothing changed in between: the same page, byte for byte.
  expect(fs.readFileSync(pagePath, 'utf8')).toBe(planned);
});

test('the tiles equal the counts in changes.json, and the page asked the network for nothing', async () => {
  const { context, page, requests, problems } = await open(pagePath);
  try {
    const tiles = await page
      .locator('li.tile')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-layer'), e.getAttribute('data-count'), Number(e.querySelector('.count')?.textContent)]));
    const expected = record.layers.flatMap((l) => Object.entries(l.counts).map(([key, n]) => [l.layer, key, n]));
    expect(tiles).toEqual(expected);
    expect(record.layers.find((l) => l.layer === 'goliath')?.counts.delete).toBe(1);
    await screenshot(page, 'dev2');
    // Only the page itself was loaded; the content policy let its inline style and script run.
    expect(requests).toEqual([`file://${pagePath}`]);
    expect(problems).toEqual([]);
    await expect(page.locator('#filters').isVisible()).resolves.toBe(true);
  } finally {
    await context.close();
  }
});

test('destroys and replacements come first, and the deleted Namespace is flagged as a risk', async () => {
  const { context, page } = await open(pagePath);
  try {
    const headings = await page.locator('main h2').allTextContents();
    expect(headings.findIndex((t) => t.startsWith('Destroys and replacements'))).toBeLessThan(headings.findIndex((t) => t.startsWith('Resources')));
    await expect(page.locator('.destructive li').allTextContents()).resolves.toEqual([expect.stringContaining('v1 Namespace legacy')]);
    await expect(page.locator('.risks li[data-rule="KUBERNETES-DATA-DELETE"]').count()).resolves.toBe(1);
    // In the Namespace group of the table, the deletion leads.
    const namespaces = await page
      .locator('tbody[data-layer="goliath"][data-group="Namespace"] tr[data-action]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(namespaces[0]).toBe('delete');
    expect(namespaces.slice(1).every((a) => a === 'create')).toBe(true);
  } finally {
    await context.close();
  }
});

test('filtering by action hides the other rows, from the keyboard too', async () => {
  const { context, page } = await open(pagePath);
  try {
    const visible = () => page.locator('#resources tr[data-action]:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    const all = await visible();
    expect(all.length).toBe(record.layers.reduce((n, l) => n + l.plan.changes.length, 0));
    // Space on the focused "create" box unticks it: only the deletion is left.
    await page.locator('input[name=action][value=create]').focus();
    await page.keyboard.press('Space');
    await expect(visible()).resolves.toEqual(['delete']);
    await screenshot(page, 'dev2-filtered');
    await page.keyboard.press('Space');
    // `/` focuses the text filter, from the box just ticked too; Escape clears it.
    await page.keyboard.press('/');
    await page.keyboard.type('aws_eks_node_group');
    const rows = await visible();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(all.length);
    await expect(page.locator('#resources tr[data-action]:visible .address').allTextContents()).resolves.toEqual(
      rows.map(() => expect.stringContaining('aws_eks_node_group')),
    );
    await page.keyboard.press('Escape');
    await expect(visible()).resolves.toHaveLength(all.length);
  } finally {
    await context.close();
  }
});

test("a preview's placeholders are marked, and Goliath's diffs are folded until opened", async () => {
  const { context, page } = await open(pagePath);
  try {
    expect(record.layers.find((l) => l.layer === 'karr')?.status).toBe('preview');
    await expect(page.locator('[data-preview="karr"]').isVisible()).resolves.toBe(true);
    const karrMarks = page.locator('tr[data-layer="karr"] mark.placeholder');
    expect(await karrMarks.count()).toBeGreaterThan(0);
    await expect(page.locator('body').textContent()).resolves.not.toContain('bdda-preview-unknown:');
    // Open a value list that holds a placeholder: it reads "known after FLAG is applied".
    const cluster = page.locator('tr[data-layer="karr"]', { hasText: 'aws_eks_cluster.cluster' });
    await cluster.locator('summary').click();
    await expect(cluster.locator('dd mark.placeholder').first().textContent()).resolves.toBe('known after FLAG is applied');
    await expect(cluster.locator('.unknown').first().textContent()).resolves.toBe('(known after apply)');
    // Goliath's per-object diffs start folded.
    const objects = page.locator('details.k8s');
    expect(await objects.count()).toBe(record.layers.find((l) => l.layer === 'goliath')?.plan.changes.length);
    await expect(objects.evaluateAll((ds) => ds.filter((d) => (d as unknown as { open: boolean }).open).length)).resolves.toBe(0);
    await page.locator('button[data-fold="open"]').click();
    await expect(objects.evaluateAll((ds) => ds.every((d) => (d as unknown as { open: boolean }).open))).resolves.toBe(true);
    await screenshot(page, 'dev2-preview-opened', false);
  } finally {
    await context.close();
  }
});

test('the page and the index have no serious accessibility violation (axe-core)', async () => {
  const printed = await expectRun('review', '--all');
  const index = path.join(suite.root, printed[printed.length - 1]);
  for (const [file, name] of [
    [pagePath, 'dev2'],
    [index, 'index'],
  ]) {
    const { context, page } = await open(file);
    try {
      // Evaluated through the debugging protocol, which the page's content policy does not govern.
      await page.evaluate(axe.source);
      const violations = await page.evaluate(async () => {
        const results = await (globalThis as unknown as { axe: typeof axe }).axe.run({ resultTypes: ['violations'] });
        return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
      });
      expect({ name, violations }).toEqual({ name, violations: [] });
      if (name === 'index') {
        await expect(page.locator('tr[data-env="dev/dev2"] a').getAttribute('href')).resolves.toBe('dev/dev2.html');
        await screenshot(page, 'index');
      }
    } finally {
      await context.close();
    }
  }
});

test('the header tells a stale diff: the tree changed after the plan', async () => {
  const { context, page } = await open(pagePath);
  try {
    await expect(page.locator('[data-fact="state"]').textContent()).resolves.toMatch(/^current/);
  } finally {
    await context.close();
  }
  fs.appendFileSync(path.join(suite.root, 'environments', DEV2, 'env.yaml'), '# a later edit\n');
  await expectRun('review', '--env', 'dev2');
  const stale = await open(pagePath);
  try {
    await expect(stale.page.locator('[data-fact="state"]').textContent()).resolves.toMatch(
      /^stale: the tree changed since it was planned \(environments\/dev\/dev2\/env\.yaml\)/,
    );
  } finally {
    await stale.context.close();
  }
});
