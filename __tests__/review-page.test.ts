/**
 * The review page as pure functions: a model from a hand-built `changes.json` record, rendered to
 * HTML, checked as text. What only a browser shows (filters, folding, no network, accessibility)
 * is in integration/review-browser.test.ts.
 */
import { createHash } from 'node:crypto';
import { loadEnvironment } from '../config/load';
import type { Layer } from '../config/naming';
import { type ChangesRecord, layerPlan } from '../bdda/diff/changes';
import { placeholder } from '../bdda/diff/placeholders';
import { policyRecord } from '../bdda/policy/record';
import type { ResourceChange, TypedPlan } from '../bdda/diff/typed-plan';
import type { EnvironmentStatus } from '../bdda/ledger/status';
import { renderIndexPage } from '../bdda/review/index-page';
import { type ReviewContext, reviewModel } from '../bdda/review/model';
import { renderReviewPage } from '../bdda/review/page';
import { reviewSummaryNote } from '../bdda/review/write';
import { REPO_ROOT } from './support/scratch';

const dev2 = loadEnvironment(REPO_ROOT, 'dev/dev2');
const context: ReviewContext = { env: dev2, head: 'a'.repeat(40), plannedAt: '2026-12-05T10:00:00.000Z' };

function change(c: Partial<ResourceChange> & Pick<ResourceChange, 'address' | 'type' | 'action'>): ResourceChange {
  return { name: c.address.split('.').pop() as string, before: null, after: null, ...c };
}

function plan(...changes: ResourceChange[]): TypedPlan {
  return { changes, outputs: [], drift: [] };
}

const LABELS: Record<Layer, string> = { flag: 'FLAG', karr: 'KARR', goliath: 'GOLIATH' };

function record(
  layers: Array<{ layer: Layer; plan: TypedPlan; status?: 'changes' | 'preview' | 'waiting'; placeholders?: string[] }>,
  extra: object = {},
): ChangesRecord {
  return {
    formatVersion: 3,
    environment: 'dev/dev2',
    tools: { terraform: '1.11.4' },
    layers: layers.map((l) => {
      const base = layerPlan({
        layer: l.layer,
        label: LABELS[l.layer],
        engine: l.layer === 'goliath' ? 'kubernetes diff' : 'terraform plan',
        status: 'changes',
        body: '',
        plan: l.plan,
        removal: l.layer === 'goliath' ? 'delete' : 'destroy',
      });
      const { body: _body, ...rest } = base;
      return {
        ...rest,
        status: l.status ?? 'changes',
        ...(l.placeholders && { preview: { upstream: 'flag' as Layer, placeholders: l.placeholders } }),
        digest: `digest-${l.layer}`,
      };
    }),
    policy: policyRecord([], { file: 'environments/dev/dev2/waivers.yaml', digest: 'none' }),
    textDigest: 'text',
    digest: 'record-digest',
    ...extra,
  };
}

const vpc = { cidr_block: '10.0.0.0/16', tags: { Name: 'dev-dev2' } };
const flagPlan = plan(
  change({ address: 'aws_subnet.a', type: 'aws_subnet', action: 'create', after: { cidr_block: '10.0.1.0/24' }, afterUnknown: { id: true, arn: true } }),
  change({
    address: 'aws_vpc.main',
    type: 'aws_vpc',
    action: 'replace',
    before: vpc,
    after: { ...vpc, cidr_block: '10.1.0.0/16' },
    replacePaths: [['cidr_block']],
    reason: 'replace_because_cannot_update',
  }),
  change({ address: 'aws_nat_gateway.gone', type: 'aws_nat_gateway', action: 'delete', before: { id: 'nat-1' } }),
  change({
    address: 'aws_security_group_rule.open',
    type: 'aws_security_group_rule',
    action: 'create',
    after: { type: 'ingress', cidr_blocks: ['0.0.0.0/0'] },
  }),
);
const karrPreview = plan(
  change({
    address: 'aws_eks_cluster.cluster',
    type: 'aws_eks_cluster',
    action: 'create',
    after: { vpc_config: [{ subnet_ids: [placeholder('flag', 'private_subnet_ids[0]')], endpoint_public_access: true }] },
    afterUnknown: { arn: true },
  }),
  change({
    address: 'aws_iam_policy.wide',
    type: 'aws_iam_policy',
    action: 'create',
    after: { policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) },
  }),
);
const goliathPlan = plan(
  change({
    address: 'v1 Namespace payments',
    type: 'Namespace',
    action: 'delete',
    before: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
  }),
  change({
    address: 'v1 ConfigMap platform/settings',
    type: 'ConfigMap',
    action: 'update',
    before: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'platform' }, data: { level: 'info' } },
    after: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'platform' }, data: { level: 'debug' } },
  }),
);
const whole = record([
  { layer: 'flag', plan: flagPlan },
  { layer: 'karr', plan: karrPreview, status: 'preview', placeholders: ['private_subnet_ids[0]'] },
  { layer: 'goliath', plan: goliathPlan },
]);

const page = () => renderReviewPage(reviewModel(whole, context));

/** The page from the element with `id` to the end of its section. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
}

test("the tiles show each layer's counts from changes.json, and the cake each layer's state", () => {
  const html = page();
  const tiles = [...html.matchAll(/data-layer="(\w+)" data-count="(\w+)"><span class="count">(\d+)<\/span>/g)].map((m) => [m[1], m[2], Number(m[3])]);
  const expected = whole.layers.flatMap((l) => Object.entries(l.counts).map(([key, n]) => [l.layer, key, n]));
  expect(tiles.sort()).toEqual(expected.sort());
  expect(Object.fromEntries([...html.matchAll(/<li class="state-[\w-]+" data-layer="(\w+)" data-state="([\w-]+)"/g)].map((m) => [m[1], m[2]]))).toEqual({
    flag: 'changes',
    karr: 'preview',
    goliath: 'changes',
  });
});

test('destroys and replacements come before the resource table, each replacement with the attribute that forces it', () => {
  const html = page();
  expect(html.indexOf('id="destructive-title"')).toBeLessThan(html.indexOf('id="resources-title"'));
  const destructive = section(html, 'destructive-title');
  expect([...destructive.matchAll(/<span class="address">([^<]+)<\/span>/g)].map((m) => m[1])).toEqual([
    'aws_nat_gateway.gone',
    'aws_vpc.main',
    'v1 Namespace payments',
  ]);
  expect(destructive).toMatch(/aws_vpc\.main<\/span> forced by <code class="forces">cidr_block<\/code>/);
  const flagGroups = [...section(html, 'resources-title').matchAll(/data-layer="flag" data-group="([^"]+)"/g)].map((m) => m[1]);
  expect(flagGroups).toEqual(['aws_nat_gateway', 'aws_security_group_rule', 'aws_subnet', 'aws_vpc']);
});

test('within a group, what removes something is listed before what is created', () => {
  const model = reviewModel(
    record([
      {
        layer: 'flag',
        plan: plan(
          change({ address: 'aws_subnet.a', type: 'aws_subnet', action: 'create', after: {} }),
          change({ address: 'aws_subnet.b', type: 'aws_subnet', action: 'update', before: { x: 1 }, after: { x: 2 } }),
          change({ address: 'aws_subnet.c', type: 'aws_subnet', action: 'delete', before: {} }),
          change({ address: 'aws_subnet.d', type: 'aws_subnet', action: 'replace', before: {}, after: {} }),
        ),
      },
    ]),
    context,
  );
  expect(model.layers[0].rows.map((r) => r.key)).toEqual(['aws_subnet.d', 'aws_subnet.c', 'aws_subnet.b', 'aws_subnet.a']);
});

test('the plan rules flag what would hurt, in an environment that is not protected too', () => {
  expect(dev2.config.protected).toBe(false);
  const risks = reviewModel(whole, context).risks.map((r) => `${r.rule} ${r.layer} ${r.address}`);
  expect(risks.sort()).toEqual(
    [
      'PROTECTED-DESTROY flag aws_vpc.main',
      'PROTECTED-DESTROY flag aws_nat_gateway.gone',
      'OPEN-INGRESS flag aws_security_group_rule.open',
      'PUBLIC-API-ENDPOINT karr aws_eks_cluster.cluster',
      'IAM-WIDENING karr aws_iam_policy.wide',
      'KUBERNETES-DATA-DELETE goliath v1 Namespace payments',
    ].sort(),
  );
  expect(
    reviewModel(record([{ layer: 'flag', plan: plan(change({ address: 'aws_subnet.a', type: 'aws_subnet', action: 'create', after: {} })) }]), context).risks,
  ).toEqual([]);
});

test('policy results recorded in changes.json come first, and a risk flag they already name is not repeated', () => {
  const policy = {
    results: [
      { rule: 'OPEN-INGRESS', severity: 'error', layer: 'flag', address: 'aws_security_group_rule.open', message: 'admits ingress from 0.0.0.0/0' },
      { rule: 'IMDSV2', severity: 'warning', layer: 'karr', address: 'aws_launch_template.x', message: 'allows IMDSv1' },
    ],
  };
  const model = reviewModel(whole, {
    ...context,
    policy: policy.results.map((r) => ({ ...r, severity: r.severity as 'error' | 'warning', layer: r.layer as Layer })),
  });
  expect(model.risks.slice(0, 2).map((r) => `${r.rule} ${r.severity}`)).toEqual(['OPEN-INGRESS error', 'IMDSV2 warning']);
  expect(model.risks.filter((r) => r.rule === 'OPEN-INGRESS')).toHaveLength(1);
  expect(renderReviewPage(model)).toContain('<span class="severity-error">OPEN-INGRESS (error)</span>');
});

test("a preview's placeholders are marked as known after the upstream is applied, never shown raw", () => {
  const html = page();
  expect(html).not.toContain('bdda-preview-unknown:');
  expect(html).toContain('<p class="note" data-preview="karr"><strong>KARR is a preview</strong>');
  expect(html).toMatch(/<mark class="placeholder" title="FLAG&#39;s planned output private_subnet_ids\[0\]">known after FLAG is applied<\/mark>/);
  expect(html).toMatch(/aws_eks_cluster\.cluster <mark class="placeholder">uses FLAG's plan<\/mark>/);
});

test('values unknown until apply are marked, and an update shows only what changes', () => {
  const html = page();
  expect(html).toMatch(/<dt>arn<\/dt><dd><span class="unknown">\(known after apply\)<\/span><\/dd>/);
  expect(html).toMatch(/<dt>cidr_block <span class="forces">forces replacement<\/span><\/dt><dd>&quot;10.0.0.0\/16&quot; → &quot;10.1.0.0\/16&quot;<\/dd>/);
  expect(html).not.toMatch(/<dt>tags\.Name<\/dt><dd>&quot;dev-dev2&quot; →/);
});

test('each Kubernetes object has its own diff, folded', () => {
  const k8s = section(page(), 'k8s-title');
  expect(k8s.match(/<details class="k8s"[^>]*>/g)).toEqual(['<details class="k8s" data-action="update">', '<details class="k8s" data-action="delete">']);
  expect(k8s).toContain('<span class="del">-  level: info</span>\n<span class="add">+  level: debug</span>');
});

test('drift is shown apart from the intended changes', () => {
  const drifted = record([
    {
      layer: 'flag',
      plan: {
        changes: [],
        outputs: [],
        drift: [change({ address: 'aws_vpc.main', type: 'aws_vpc', action: 'update', before: { tags: { a: '1' } }, after: { tags: { a: '2' } } })],
      },
    },
  ]);
  const drift = section(renderReviewPage(reviewModel(drifted, context)), 'drift-title');
  expect(drift).toContain('Drift (1)');
  expect(drift).toContain('<span class="address">aws_vpc.main</span>');
  expect(drift).toContain('<summary>changed outside bdda</summary>');
});

test('the page needs nothing from the network: a policy that admits only its own inline style and script', () => {
  const html = page();
  const csp = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '').replace(/&#39;/g, "'");
  expect(csp).toMatch(/^default-src 'none'; /);
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  const hash = (t: string) => `sha256-${createHash('sha256').update(t).digest('base64')}`;
  expect(csp).toContain(`script-src '${hash(script)}'`);
  expect(csp).toContain(`style-src '${hash(style)}'`);
  expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
});

test('what the plan names is escaped', () => {
  const html = renderReviewPage(
    reviewModel(
      record([{ layer: 'flag', plan: plan(change({ address: 'aws_s3_bucket.x', type: '<img src=x>', action: 'create', after: { tag: '</script><b>' } })) }]),
      context,
    ),
  );
  expect(html).not.toContain('<img src=x>');
  expect(html).not.toContain('</script><b>');
  expect(html).toContain('&lt;img src=x&gt;');
});

test('the header says base, head, when it was planned, and why it is stale', () => {
  const html = renderReviewPage(
    reviewModel(whole, {
      ...context,
      staleBecause: ['older than the last deployment (2026-12-05T11:00:00.000Z)'],
      lastDeployment: {
        operation: 'apply',
        status: 'succeeded',
        sha: 'b'.repeat(40),
        who: 'alice',
        endedAt: '2026-12-05T11:00:00.000Z',
        location: 's3://bucket/key',
      },
      ciRun: { label: 'GitHub Actions run 7', href: 'https://ci.example/runs/7' },
    }),
  );
  expect(html).toContain(`<dd data-fact="base"><code title="${'b'.repeat(40)}">bbbbbbbbbbbb</code>`);
  expect(html).toContain(`<dd data-fact="head"><code title="${'a'.repeat(40)}">aaaaaaaaaaaa</code>`);
  expect(html).toContain('<dd data-fact="planned"><time datetime="2026-12-05T10:00:00.000Z">');
  expect(html).toContain('<span class="stale">stale</span>: older than the last deployment (2026-12-05T11:00:00.000Z)');
  expect(html).toContain('<dd data-fact="digest"><code>record-digest</code>');
  expect(html).toContain('<a href="https://ci.example/runs/7">GitHub Actions run 7</a>');
});

test('with no diff every layer is in sync and nothing is listed', () => {
  const model = reviewModel(undefined, context);
  expect(model.layers.map((l) => l.state)).toEqual(['in-sync', 'in-sync', 'in-sync']);
  expect(model.destructive).toEqual([]);
  expect(renderReviewPage(model)).toContain('<p id="resources">No resource or object changes.</p>');
});

test('the index lists every environment with its undeployed layers, claim and last deployment, linked to its page', () => {
  const row = (over: Partial<EnvironmentStatus>): EnvironmentStatus => ({
    path: 'dev/dev2',
    tier: 'dev',
    emulated: true,
    protected: false,
    undeployed: [],
    ...over,
  });
  const html = renderIndexPage(
    [
      row({
        undeployed: [
          { layer: 'flag', status: 'changes', counts: { add: 1, change: 0, destroy: 0 }, summary: '' },
          { layer: 'karr', status: 'waiting', counts: {}, summary: '' },
          { layer: 'goliath', status: 'no-changes', counts: {}, summary: '' },
        ],
        claim: { who: 'bob', until: '2026-12-06T00:00:00Z' } as EnvironmentStatus['claim'],
      }),
      row({ path: 'prod/us1', tier: 'prod', emulated: false, protected: true, backendUnavailable: 'no credentials' }),
    ],
    { 'dev/dev2': 'dev/dev2.html' },
  );
  expect(html).toContain(
    '<tr data-env="dev/dev2"><th scope="row"><a href="dev/dev2.html">dev/dev2</a></th><td>dev</td><td>emulated</td><td>1 to add, 0 to change, 0 to destroy</td>' +
      '<td>waits for FLAG to be applied</td><td>no changes</td><td>bob until 2026-12-06T00:00:00Z</td><td>none recorded</td></tr>',
  );
  expect(html).toContain('<tr data-env="prod/us1"><th scope="row">prod/us1</th><td>prod</td><td>real account, protected</td>');
  expect(html).toContain('<td>unknown (no credentials)</td>');
});

test("CI's summary points at the pages: the run's artifacts in GitHub Actions, the build folder elsewhere", () => {
  const vars = { GITHUB_SERVER_URL: 'https://github.example', GITHUB_REPOSITORY: 'acme/infra', GITHUB_RUN_ID: '42' };
  expect(reviewSummaryNote([{ path: 'dev/dev2' }], vars)).toBe(
    '**Review page:** `build/review/dev/dev2.html`, uploaded as an artifact of [this run](https://github.example/acme/infra/actions/runs/42#artifacts): ' +
      'download it and open the page in a browser.',
  );
  expect(reviewSummaryNote([{ path: 'dev/dev2' }], {})).toBe(
    '**Review page:** `build/review/dev/dev2.html` (`npm run review -- --env <name>` writes it again).',
  );
  expect(reviewSummaryNote([], vars)).toBeUndefined();
});
