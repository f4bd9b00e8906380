/**
 * Which reviewed layers a deployment record lists: those the apply marked applied, and only
 * those. A previewed layer whose real plan had no changes leaves the diff without an apply.
 */
import type { ChangesRecord } from '../bdda/diff/changes';
import { EMPTY_PLAN } from '../bdda/diff/typed-plan';
import { deployedLayers } from '../bdda/ledger/records';

const COUNTS = { add: 1, change: 0, destroy: 0 };

const layer = (name: 'flag' | 'karr' | 'goliath', status: 'changes' | 'preview', summary: string) => ({
  layer: name,
  engine: 'terraform plan',
  status,
  summary,
  plan: EMPTY_PLAN,
  actions: {},
  counts: COUNTS,
  digest: `digest-${name}`,
});

const reviewed: ChangesRecord = {
  formatVersion: 3,
  environment: 'dev/dev2',
  tools: { terraform: '1.11.4' },
  layers: [
    layer('flag', 'changes', 'FLAG: 1 to add, 0 to change, 0 to destroy.'),
    layer('karr', 'preview', 'KARR: 1 to add, 0 to change, 0 to destroy (preview until FLAG is applied).'),
    layer('goliath', 'changes', 'GOLIATH: 1 to add, 0 to change, 0 to delete.'),
  ],
  policy: { results: [], errors: 0, warnings: 0, waived: 0, waivers: { file: 'environments/dev/dev2/waivers.yaml', digest: 'no waivers' } },
  textDigest: 'text',
  digest: 'record',
};

test('a previewed layer that was applied is listed as reviewed by preview, with its reviewed summary and digest', () => {
  expect(deployedLayers(reviewed, new Set(['flag', 'karr', 'goliath']))).toEqual([
    { layer: 'flag', summary: 'FLAG: 1 to add, 0 to change, 0 to destroy.', digest: 'digest-flag', counts: COUNTS },
    {
      layer: 'karr',
      summary: 'KARR: 1 to add, 0 to change, 0 to destroy (preview until FLAG is applied).',
      digest: 'digest-karr',
      counts: COUNTS,
      reviewed: 'preview',
    },
    { layer: 'goliath', summary: 'GOLIATH: 1 to add, 0 to change, 0 to delete.', digest: 'digest-goliath', counts: COUNTS },
  ]);
});

test('a previewed layer left out of the apply (its real plan had no changes) is not listed as deployed', () => {
  expect(deployedLayers(reviewed, new Set(['flag', 'goliath'])).map((l) => l.layer)).toEqual(['flag', 'goliath']);
});

test('an apply that failed on its first layer lists nothing, so no record is written', () => {
  expect(deployedLayers(reviewed, new Set())).toEqual([]);
});
