/**
 * The Markdown summary of a build: a golden file (the expected output, committed under
 * __tests__/fixtures/) with destroys and replacements first and the cut line, and the size limit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChangesRecord } from '../bdda/diff/changes';
import { renderSummary, SUMMARY_MAX_CHARS, type SummaryEntry } from '../bdda/ci/summary';
import { type ChangeAction, planActions, type ResourceChange } from '../bdda/diff/typed-plan';

const GOLDEN = path.join(__dirname, 'fixtures', 'ci-summary.golden.md');

interface LayerInput extends Pick<ChangesRecord['layers'][number], 'layer' | 'status' | 'summary' | 'counts'> {
  /** Each address's action; a replacement may name the attributes that force it. */
  readonly changes: Record<string, ChangeAction | [ChangeAction, ResourceChange['replacePaths']]>;
}

function record(env: string, layers: LayerInput[], findings: ChangesRecord['policy']['results'] = []): ChangesRecord {
  return {
    formatVersion: 3,
    environment: env,
    tools: { terraform: '1.11.4' },
    layers: layers.map(({ changes, ...l }) => {
      const plan = {
        changes: Object.entries(changes).map(([address, given]) => {
          const [action, replacePaths] = Array.isArray(given) ? given : [given];
          return {
            address,
            type: address.split('.')[0],
            name: address.split('.')[1] ?? address,
            action,
            before: null,
            after: null,
            ...(replacePaths ? { replacePaths } : {}),
          };
        }),
        outputs: [],
        drift: [],
      };
      return { ...l, plan, actions: planActions(plan), engine: 'terraform plan', digest: 'd' };
    }),
    policy: {
      results: findings,
      errors: findings.filter((f) => f.severity === 'error' && !f.waiver).length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      waived: findings.filter((f) => f.severity === 'error' && f.waiver).length,
      waivers: { file: `environments/${env}/waivers.yaml`, digest: 'w' },
    },
    textDigest: 't',
    digest: 'r',
  };
}

const dev2 = record(
  'dev/dev2',
  [
    {
      layer: 'flag',
      status: 'changes',
      summary: 'FLAG: 1 to add, 1 to change, 2 to destroy.',
      counts: { add: 1, change: 1, destroy: 2 },
      changes: {
        'aws_flow_log.vpc': 'create',
        'aws_nat_gateway.nat_1': 'delete',
        'aws_route_table.private': ['replace', [['vpc_id'], ['route', 0, 'cidr_block']]],
        'aws_subnet.public_0': 'update',
      },
    },
    // A preview (planned against FLAG's planned outputs): its replacement is listed with FLAG's.
    {
      layer: 'karr',
      status: 'preview',
      summary: 'KARR: 1 to add, 0 to change, 1 to destroy (preview until FLAG is applied).',
      counts: { add: 1, change: 0, destroy: 1 },
      changes: { 'aws_eks_node_group.general': ['replace', [['subnet_ids']]] },
    },
    {
      layer: 'goliath',
      status: 'changes',
      summary: 'GOLIATH: 1 to add, 0 to change, 1 to delete.',
      counts: { add: 1, change: 0, delete: 1 },
      changes: { 'v1 Namespace payments': 'create', 'v1 Namespace search': 'delete' },
    },
  ],
  [
    { rule: 'PINNED-IMAGES', severity: 'warning', layer: 'goliath', address: 'apps/v1 Deployment platform/x', message: 'runs x:latest' },
    {
      rule: 'KUBERNETES-DATA-DELETE',
      severity: 'error',
      layer: 'goliath',
      address: 'v1 Namespace search',
      message: 'deletes a namespace and everything in it',
    },
  ],
);

const many = record('prod/eu1', [
  {
    layer: 'flag',
    status: 'changes',
    summary: 'FLAG: 60 to add, 0 to change, 0 to destroy.',
    counts: { add: 60, change: 0, destroy: 0 },
    changes: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`aws_route.private_${String(i).padStart(2, '0')}`, 'create' as const])),
  },
]);

const entries: SummaryEntry[] = [
  { env: 'dev/dev2', record: dev2, changesFile: 'environments/dev/dev2/changes.txt' },
  { env: 'dev/dev3', changesFile: 'environments/dev/dev3/changes.txt' },
  { env: 'prod/eu1', record: many, changesFile: 'environments/prod/eu1/changes.txt' },
];

test("the summary matches the golden Markdown: the policy findings first, errors before warnings, then counts per environment and layer, destroys and replacements first (a preview's among them) with the attributes that force each replacement, cut with a pointer to changes.txt", () => {
  const markdown = renderSummary(entries, { branch: 'feature/x', commit: '1a2b3c4d5e6f', maxChars: 2500 });
  expect(markdown).toBe(fs.readFileSync(GOLDEN, 'utf8'));
  expect(markdown.length).toBeLessThanOrEqual(2500);
});

test('a summary without a cut lists every address and has no cut line', () => {
  const markdown = renderSummary(entries, { branch: 'feature/x', commit: '1a2b3c4d5e6f' });
  expect(markdown).not.toContain('Cut here');
  expect(markdown).toContain('`aws_route.private_59` create');
});

test('a diff of thousands of addresses stays under the comment limit, with the cut line last', () => {
  const huge = record('prod/us1', [
    {
      layer: 'flag',
      status: 'changes',
      summary: 'FLAG: 5000 to add, 0 to change, 0 to destroy.',
      counts: { add: 5000, change: 0, destroy: 0 },
      changes: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`module.network.aws_route.a_rather_long_resource_name_${i}`, 'create' as const])),
    },
  ]);
  const markdown = renderSummary([{ env: 'prod/us1', record: huge, changesFile: 'environments/prod/us1/changes.txt' }], { branch: 'main', commit: 'abcdef0' });
  expect(markdown.length).toBeLessThan(SUMMARY_MAX_CHARS);
  expect(markdown.length).toBeGreaterThan(SUMMARY_MAX_CHARS - 200);
  expect(markdown.trimEnd().split('\n').pop()).toBe(
    "> ✂ Cut here to stay under a comment's size. The full diff is in `environments/prod/us1/changes.txt` on this branch.",
  );
});
