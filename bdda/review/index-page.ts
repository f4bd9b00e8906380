/**
 * The index of every environment (`npm run review -- --all`): tier, target, what each layer has
 * not yet deployed, the claim and the last deployment, from the rows `npm run status` prints, each
 * environment linked to its review page.
 */
import { LAYERS } from '../../config/naming';
import { summaryWords } from '../diff/summary';
import { LABEL, UPSTREAM } from '../layers/list';
import { type EnvironmentStatus, withoutDiff } from '../ledger/status';
import { escapeHtml as h, htmlDocument } from './page';

/** The index page; `pages` maps an environment's path to its page, relative to the index. */
export function renderIndexPage(rows: readonly EnvironmentStatus[], pages: Readonly<Record<string, string>>): string {
  const undeployed = (r: EnvironmentStatus, layer: (typeof LAYERS)[number]) => {
    const l = r.undeployed.find((u) => u.layer === layer);
    if (!l) return r.undeployed.length ? 'in sync' : withoutDiff(r);
    const upstream = UPSTREAM[layer];
    return summaryWords({ ...l, waitsFor: upstream && LABEL[upstream] });
  };
  const cells = (r: EnvironmentStatus) => [
    pages[r.path] ? `<a href="${h(pages[r.path])}">${h(r.path)}</a>` : h(r.path),
    h(r.tier),
    `${r.emulated ? 'emulated' : 'real account'}${r.protected ? ', protected' : ''}`,
    ...LAYERS.map((layer) => h(undeployed(r, layer))),
    r.backendUnavailable ? `unknown (${h(r.backendUnavailable)})` : r.claim ? `${h(r.claim.who)} until ${h(r.claim.until)}` : '-',
    r.backendUnavailable
      ? `unknown (${h(r.backendUnavailable)})`
      : r.lastDeployment
        ? `${h(r.lastDeployment.endedAt)} <code>${h(r.lastDeployment.sha.slice(0, 8))}</code> by ${h(r.lastDeployment.who)}` +
          (r.lastDeployment.status === 'failed' ? ' (failed)' : '') +
          (r.lastDeployment.operation !== 'apply' ? ` (${h(r.lastDeployment.operation)})` : '')
        : 'none recorded',
  ];
  const header = ['environment', 'tier', 'target', ...LAYERS.map((l) => `${LABEL[l] ?? l} undeployed`), 'claimed by', 'last deployment'];
  const body = [
    '<header><h1>Environments</h1></header>',
    '<main>',
    '<table id="environments">',
    `<thead><tr>${header.map((c) => `<th scope="col">${h(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map(
      (r) =>
        `<tr data-env="${h(r.path)}">${cells(r)
          .map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`))
          .join('')}</tr>`,
    ),
    '</tbody>',
    '</table>',
    '</main>',
    '<footer><p>Written by bdda from the same data as <code>npm run status</code>. A build output: never committed.</p></footer>',
  ].join('\n');
  return htmlDocument('Environments', body);
}
