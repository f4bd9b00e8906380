/**
 * The review page: one self-contained HTML file from a review model (model.ts). Semantic HTML that
 * reads without script; the inline script only filters the resource table and folds the
 * Kubernetes diffs. A Content-Security-Policy that admits only the page's own inline style and
 * script keeps the browser from fetching anything when it is opened.
 */
import { createHash } from 'node:crypto';
import type { AttributePath, ChangeAction, OutputChange, ResourceChange } from '../diff/typed-plan';
import { SENSITIVE } from '../diff/typed-plan';
import { objectPatch } from '../diff/kubernetes-diff';
import { splitPlaceholders } from '../diff/placeholders';
import { LABEL } from '../layers/list';
import type { Layer } from '../../config/naming';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets';
import type { ReviewLayer, ReviewModel, ReviewRisk, ReviewRow } from './model';

/** What each action is called on the page. */
const ACTION_WORDS: Readonly<Record<ChangeAction, string>> = {
  create: 'create',
  update: 'update',
  replace: 'replace',
  delete: 'destroy',
  read: 'read',
  import: 'import',
  forget: 'forget',
};

/** The count keys of a summary, in the order the tiles show them. */
const COUNT_WORDS: Readonly<Record<string, string>> = { add: 'to add', change: 'to change', destroy: 'to destroy', delete: 'to delete' };

const STATE_WORDS = {
  'in-sync': () => 'in sync',
  changes: () => 'changes',
  preview: (l: ReviewLayer) => `preview until ${l.upstreamLabel ?? 'its upstream'} is applied`,
  waiting: (l: ReviewLayer) => `waits for ${l.upstreamLabel ?? 'its upstream'}`,
} as const;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const h = escapeHtml;

/** The Content-Security-Policy: nothing from anywhere, but this page's own style and script. */
function contentSecurityPolicy(style: string, script?: string): string {
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  return [
    "default-src 'none'",
    `style-src ${hash(style)}`,
    script ? `script-src ${hash(script)}` : "script-src 'none'",
    "img-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** A whole HTML document around `body`, with the page's style and, when asked, its script. */
export function htmlDocument(title: string, body: string, opts: { readonly script?: boolean } = {}): string {
  const script = opts.script ? PAGE_SCRIPT : undefined;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${h(contentSecurityPolicy(PAGE_STYLE, script))}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    script ? `<script>${script}</script>` : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The review page of one environment's diff. */
export function renderReviewPage(model: ReviewModel): string {
  const body = [
    renderHeader(model),
    '<main>',
    renderCake(model),
    renderTiles(model),
    renderRisks(model.risks),
    renderDestructive(model.destructive),
    renderResources(model),
    renderDrift(model),
    renderKubernetes(model),
    renderOutputs(model),
    '</main>',
    `<footer><p>Written by bdda from <code>environments/${h(model.environment)}/changes.json</code> and each layer's typed plan. ` +
      'This page is a build output: it is never committed.</p></footer>',
  ].join('\n');
  return htmlDocument(`Review of ${model.environment}`, body, { script: true });
}

function short(sha: string | undefined): string {
  return sha ? `<code title="${h(sha)}">${h(sha.slice(0, 12))}</code>` : '<span class="muted">unknown</span>';
}

function renderHeader(m: ReviewModel): string {
  const staleness = m.digest
    ? m.staleBecause.length
      ? `<span class="stale">stale</span>: ${m.staleBecause.map(h).join('; ')}. Plan again before applying.`
      : '<span class="fresh">current</span>: nothing was deployed and the tree did not change since it was planned'
    : 'no diff: every layer matches its config';
  const deployment = m.lastDeployment
    ? `${h(m.lastDeployment.operation)} ${h(m.lastDeployment.status)} at <time datetime="${h(m.lastDeployment.endedAt)}">${h(m.lastDeployment.endedAt)}</time> by ${h(m.lastDeployment.who)}, ` +
      (m.lastDeployment.href ? `<a href="${h(m.lastDeployment.href)}">${h(m.lastDeployment.location)}</a>` : `<code>${h(m.lastDeployment.location)}</code>`)
    : m.ledgerUnavailable
      ? `unknown (${h(m.ledgerUnavailable)})`
      : 'none recorded';
  const facts: Array<[string, string]> = [
    ['environment', `<code>${h(m.environment)}</code> (${m.emulated ? 'emulated' : 'real account'}${m.protected ? ', protected' : ''})`],
    ['base', m.base ? `${short(m.base)} <span class="muted">(deployed last)</span>` : '<span class="muted">nothing deployed, or unknown</span>'],
    ['head', short(m.head)],
    ['planned', m.plannedAt ? `<time datetime="${h(m.plannedAt)}">${h(m.plannedAt)}</time>` : '<span class="muted">unknown</span>'],
    ['state', staleness],
    ['digest', m.digest ? `<code>${h(m.digest)}</code>` : '<span class="muted">none</span>'],
    [
      'tools',
      Object.keys(m.tools).length
        ? Object.entries(m.tools)
            .map(([tool, version]) => `${h(tool)} ${h(version)}`)
            .join(', ')
        : '<span class="muted">none recorded</span>',
    ],
    ['last deployment', deployment],
    ['CI run', m.ciRun ? `<a href="${h(m.ciRun.href)}">${h(m.ciRun.label)}</a>` : '<span class="muted">not written in CI</span>'],
  ];
  return [
    '<header>',
    `<h1>Review of ${h(m.environment)}</h1>`,
    '<dl class="facts">',
    ...facts.map(([term, value]) => `<dt>${term}</dt><dd data-fact="${h(term)}">${value}</dd>`),
    '</dl>',
    '</header>',
  ].join('\n');
}

function renderCake(m: ReviewModel): string {
  // A cake is drawn from the top: the last layer applied sits on the others.
  const layers = [...m.layers].reverse();
  return [
    '<section aria-labelledby="cake-title">',
    '<h2 id="cake-title">The cake</h2>',
    '<ol class="cake" reversed>',
    ...layers.map(
      (l) =>
        `<li class="state-${l.state}" data-layer="${l.layer}" data-state="${l.state}"><span class="label">${h(l.label)}</span> ` +
        `<span class="state">${h(STATE_WORDS[l.state](l))}</span><br><small>${h(l.summary)}</small></li>`,
    ),
    '</ol>',
    '</section>',
  ].join('\n');
}

function renderTiles(m: ReviewModel): string {
  const layer = (l: ReviewLayer) => {
    const keys = Object.keys(l.counts).length ? Object.keys(l.counts) : ['add', 'change', 'destroy'];
    return [
      `<section data-layer="${l.layer}">`,
      `<h3>${h(l.label)}</h3>`,
      '<ul>',
      ...keys.map((key) => {
        const n = l.counts[key] ?? 0;
        return `<li class="tile count-${h(key)}${n ? ' nonzero' : ''}" data-layer="${l.layer}" data-count="${h(key)}"><span class="count">${n}</span> ${h(COUNT_WORDS[key] ?? key)}</li>`;
      }),
      '</ul>',
      '</section>',
    ].join('\n');
  };
  return [
    '<section aria-labelledby="tiles-title">',
    '<h2 id="tiles-title">Counts</h2>',
    '<div class="tiles">',
    ...m.layers.map(layer),
    '</div>',
    '</section>',
  ].join('\n');
}

function renderRisks(risks: readonly ReviewRisk[]): string {
  const item = (r: ReviewRisk) =>
    `<li data-rule="${h(r.rule)}" data-layer="${r.layer}"><span class="${r.severity ? `severity-${r.severity}` : 'flag'}">${h(r.rule)}${r.severity ? ` (${r.severity})` : ''}</span> ` +
    `${layerLabel(r.layer)} <span class="address">${h(r.address)}</span>: ${h(r.message)}` +
    (r.waiver ? ` <span class="muted">(waived by ${h(r.waiver.approvedBy)} until ${h(r.waiver.expires)}: ${h(r.waiver.reason)})</span>` : '') +
    '</li>';
  return [
    '<section aria-labelledby="risks-title" class="risks">',
    `<h2 id="risks-title">Risks (${risks.length})</h2>`,
    risks.length
      ? `<ul>${risks.map(item).join('\n')}</ul>`
      : '<p>No plan rule flags anything: nothing vital is destroyed or replaced, no IAM is widened, no ingress is opened to the internet, no public endpoint is turned on, no namespace is deleted.</p>',
    '</section>',
  ].join('\n');
}

function renderDestructive(rows: readonly ReviewRow[]): string {
  const item = (r: ReviewRow) => {
    const { change } = r;
    const forced = change.replacePaths?.length
      ? ` forced by ${change.replacePaths.map((p) => `<code class="forces">${h(pathText(p))}</code>`).join(', ')}`
      : '';
    const reason = change.reason ? ` <span class="muted">(${h(change.reason.replace(/_/g, ' '))})</span>` : '';
    return `<li data-action="${change.action}">${actionBadge(change.action)} ${layerLabel(r.layer)} <span class="address">${h(r.key)}</span>${forced}${reason}</li>`;
  };
  return [
    '<section aria-labelledby="destructive-title" class="destructive">',
    `<h2 id="destructive-title">Destroys and replacements (${rows.length})</h2>`,
    rows.length ? `<ul>${rows.map(item).join('\n')}</ul>` : '<p>Nothing is destroyed or replaced.</p>',
    '</section>',
  ].join('\n');
}

function renderResources(m: ReviewModel): string {
  const actions = [...new Set(m.layers.flatMap((l) => l.rows.map((r) => r.change.action)))];
  const filters = [
    '<form class="filters" id="filters" hidden aria-label="Filter the resources">',
    '<fieldset><legend>Actions</legend>',
    ...actions.map((a) => `<label><input type="checkbox" name="action" value="${a}" checked> ${h(ACTION_WORDS[a])}</label>`),
    '</fieldset>',
    '<label>Text <input type="search" id="filter-text" placeholder="address, type, module" autocomplete="off"></label>',
    '<span class="muted">Press <kbd>/</kbd> to filter, <kbd>Esc</kbd> to clear.</span>',
    '<output id="filter-status" aria-live="polite"></output>',
    '</form>',
  ].join('\n');
  const groups = m.layers.flatMap((l) => groupRows(l.rows).map((rows) => ({ layer: l, rows })));
  const tbody = ({ layer, rows }: { layer: ReviewLayer; rows: ReviewRow[] }) =>
    [
      `<tbody data-layer="${layer.layer}" data-group="${h(rows[0].group)}">`,
      `<tr><th scope="rowgroup" colspan="3">${h(layer.label)} · ${h(rows[0].group)} <span class="muted">(${rows.length})</span></th></tr>`,
      ...rows.map((r) => renderRow(layer, r)),
      '</tbody>',
    ].join('\n');
  return [
    '<section aria-labelledby="resources-title">',
    `<h2 id="resources-title">Resources (${m.layers.reduce((n, l) => n + l.rows.length, 0)})</h2>`,
    ...m.layers.filter((l) => l.state === 'preview').map(previewNote),
    filters,
    groups.length
      ? `<table id="resources"><caption class="muted">By layer, then module or type; in each group destroys and replacements first.</caption>` +
        '<thead><tr><th scope="col">action</th><th scope="col">address</th><th scope="col">values</th></tr></thead>\n' +
        `${groups.map(tbody).join('\n')}</table>`
      : '<p id="resources">No resource or object changes.</p>',
    '</section>',
  ].join('\n');
}

function previewNote(l: ReviewLayer): string {
  const up = l.upstreamLabel ?? 'its upstream';
  return (
    `<p class="note" data-preview="${l.layer}"><strong>${h(l.label)} is a preview</strong>, planned against ${h(up)}'s planned outputs, not against what is deployed. ` +
    `A value marked <mark class="placeholder">known after ${h(up)} is applied</mark> is taken from ${h(up)}'s plan, where it is not known yet; ` +
    `apply plans ${h(l.label)} again once ${h(up)} is applied and applies only a plan that makes the same changes.</p>`
  );
}

/** The layer's rows cut into their groups (they arrive sorted by group). */
function groupRows(rows: readonly ReviewRow[]): ReviewRow[][] {
  const groups: ReviewRow[][] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last && last[0].group === row.group) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

function renderRow(layer: ReviewLayer, r: ReviewRow): string {
  const { change } = r;
  const search = `${layer.label} ${r.group} ${r.key} ${change.type} ${ACTION_WORDS[change.action]}`.toLowerCase();
  const preview = holdsPlaceholder(change.after) ? ` <mark class="placeholder">uses ${h(layer.upstreamLabel ?? 'upstream')}'s plan</mark>` : '';
  const details = layer.kubernetes ? '' : renderValues(change);
  return (
    `<tr data-action="${change.action}" data-layer="${layer.layer}" data-search="${h(search)}">` +
    `<td>${actionBadge(change.action)}</td><td class="address">${h(r.key)}${preview}${change.importing ? ' <span class="muted">(imported)</span>' : ''}` +
    `${change.previousAddress ? ` <span class="muted">(moved from ${h(change.previousAddress)})</span>` : ''}</td><td>${details}</td></tr>`
  );
}

function actionBadge(action: ChangeAction): string {
  return `<span class="action action-${action}">${ACTION_WORDS[action]}</span>`;
}

function layerLabel(layer: Layer): string {
  return `<span class="layer">${h(LABEL[layer] ?? layer.toUpperCase())}</span>`;
}

function renderDrift(m: ReviewModel): string {
  const drifted = m.layers.filter((l) => l.drift.length);
  const layer = (l: ReviewLayer) =>
    [
      `<h3>${h(l.label)}</h3>`,
      '<ul>',
      ...l.drift.map((c) => `<li>${actionBadge(c.action)} <span class="address">${h(c.address)}</span> ${renderValues(c, 'changed outside bdda')}</li>`),
      '</ul>',
    ].join('\n');
  return [
    '<section aria-labelledby="drift-title">',
    `<h2 id="drift-title">Drift (${drifted.reduce((n, l) => n + l.drift.length, 0)})</h2>`,
    '<p class="muted">What changed outside the config since the last apply, apart from the intended changes above; the plan puts it back.</p>',
    drifted.length ? drifted.map(layer).join('\n') : '<p>No drift.</p>',
    '</section>',
  ].join('\n');
}

function renderKubernetes(m: ReviewModel): string {
  const layers = m.layers.filter((l) => l.kubernetes && l.rows.length);
  if (!layers.length) return '';
  const object = (r: ReviewRow) =>
    `<details class="k8s" data-action="${r.change.action}"><summary>${actionBadge(r.change.action)} <span class="address">${h(r.key)}</span></summary>` +
    `<pre class="patch">${renderPatch(objectPatch(r.change))}</pre></details>`;
  return [
    '<section aria-labelledby="k8s-title">',
    '<h2 id="k8s-title">Kubernetes objects</h2>',
    '<p><button type="button" data-fold="open" hidden>Open all</button> <button type="button" data-fold="close" hidden>Fold all</button></p>',
    ...layers.map((l) => [`<h3>${h(l.label)} (${l.rows.length})</h3>`, ...l.rows.map(object)].join('\n')),
    '</section>',
  ].join('\n');
}

function renderPatch(patch: string): string {
  return patch
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : '';
      return cls ? `<span class="${cls}">${h(line)}</span>` : h(line);
    })
    .join('\n');
}

function renderOutputs(m: ReviewModel): string {
  const layers = m.layers.filter((l) => l.outputs.length);
  if (!layers.length) return '';
  const output = (o: OutputChange) =>
    `<dt>${actionBadge(o.action)} ${h(o.name)}</dt><dd>${o.sensitive ? h(SENSITIVE) : valueHtml(o.after, o.afterUnknown === true, o.action === 'delete')}</dd>`;
  return [
    '<section aria-labelledby="outputs-title">',
    '<h2 id="outputs-title">Outputs</h2>',
    ...layers.map((l) => [`<h3>${h(l.label)}</h3>`, '<dl class="values">', ...l.outputs.map(output), '</dl>'].join('\n')),
    '</section>',
  ].join('\n');
}

/** One attribute's value: JSON, each placeholder marked, a value unknown until apply said so. */
function valueHtml(value: unknown, unknown: boolean, gone = false): string {
  if (unknown) return '<span class="unknown">(known after apply)</span>';
  if (gone) return '<span class="muted">(removed)</span>';
  if (typeof value === 'string') return markPlaceholders(JSON.stringify(value));
  return h(JSON.stringify(value) ?? 'null');
}

function markPlaceholders(text: string): string {
  return splitPlaceholders(text)
    .map((part) => {
      if (typeof part === 'string') return h(part);
      const upstream = part.placeholder.split('.')[0] as Layer;
      const label = LABEL[upstream] ?? upstream.toUpperCase();
      return `<mark class="placeholder" title="${h(`${label}'s planned output ${part.placeholder.slice(upstream.length + 1)}`)}">known after ${h(label)} is applied</mark>`;
    })
    .join('');
}

function holdsPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return splitPlaceholders(value).some((p) => typeof p !== 'string');
  if (Array.isArray(value)) return value.some(holdsPlaceholder);
  if (isRecord(value)) return Object.values(value).some(holdsPlaceholder);
  return false;
}

interface Leaf {
  readonly path: AttributePath;
  readonly value: unknown;
}

/** Each scalar (or empty list or map) in a value, with its path. */
function leaves(value: unknown, at: AttributePath = []): Leaf[] {
  if (Array.isArray(value) && value.length) return value.flatMap((v, i) => leaves(v, [...at, i]));
  if (isRecord(value) && Object.keys(value).length) return Object.keys(value).flatMap((k) => leaves(value[k], [...at, k]));
  return [{ path: at, value }];
}

/** The paths marked true in an `afterUnknown` structure. */
function unknownPaths(marks: unknown, at: AttributePath = []): AttributePath[] {
  if (marks === true) return [at];
  if (Array.isArray(marks)) return marks.flatMap((m, i) => unknownPaths(m, [...at, i]));
  if (isRecord(marks)) return Object.keys(marks).flatMap((k) => unknownPaths(marks[k], [...at, k]));
  return [];
}

function pathText(p: AttributePath): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

/**
 * A resource's values, folded: for a create every known value and what is known only after apply;
 * for an update or replacement the attributes that change, marking those that force it.
 */
function renderValues(change: ResourceChange, what?: string): string {
  if (change.action === 'delete' || change.action === 'forget' || change.action === 'read') return '';
  const unknown = new Set(unknownPaths(change.afterUnknown).map(pathText));
  const forcing = new Set((change.replacePaths ?? []).map(pathText));
  const rows: string[] = [];
  if (change.action === 'create' || change.before === null || change.before === undefined) {
    for (const leaf of leaves(change.after)) {
      if (leaf.value === null || leaf.path.length === 0) continue;
      rows.push(`<dt>${h(pathText(leaf.path))}</dt><dd>${valueHtml(leaf.value, false)}</dd>`);
    }
  } else {
    const before = new Map(leaves(change.before).map((l) => [pathText(l.path), l.value]));
    const after = new Map(leaves(change.after).map((l) => [pathText(l.path), l.value]));
    const paths = [...new Set([...before.keys(), ...after.keys()])].filter((p) => p && !unknown.has(p));
    for (const p of paths.sort()) {
      const was = before.get(p);
      const now = after.get(p);
      if (JSON.stringify(was) === JSON.stringify(now)) continue;
      const forces = [...forcing].some((f) => p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`));
      rows.push(
        `<dt>${h(p)}${forces ? ' <span class="forces">forces replacement</span>' : ''}</dt>` +
          `<dd>${was === undefined ? '' : `${valueHtml(was, false)} → `}${now === undefined ? '<span class="muted">(removed)</span>' : valueHtml(now, false)}</dd>`,
      );
    }
  }
  for (const p of [...unknown].sort()) {
    if (!p) continue;
    const forces = forcing.has(p) ? ' <span class="forces">forces replacement</span>' : '';
    rows.push(`<dt>${h(p)}${forces}</dt><dd>${valueHtml(undefined, true)}</dd>`);
  }
  if (!rows.length) return '';
  const label = what ?? `${rows.length} value${rows.length === 1 ? '' : 's'}`;
  return `<details><summary>${h(label)}</summary><dl class="values">${rows.join('')}</dl></details>`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
