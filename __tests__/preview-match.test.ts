/**
 * The safety core of previews, without terraform: placeholders for the unknown parts of planned
 * outputs, and the comparison of typed plans that decides whether a real plan may be applied on
 * the strength of a reviewed preview.
 */
import { placeholder, placeholderValues, previewOutputs, renderPlaceholders } from '../bdda/diff/placeholders';
import { actionDifference, valueDifference } from '../bdda/diff/preview-match';
import type { ResourceChange, TypedPlan } from '../bdda/diff/typed-plan';
import { heldProgress } from '../bdda/support/progress';

const PRIVATE_1 = placeholder('flag', 'private_subnet_ids[1]');

describe('placeholders for the unknown parts of planned outputs', () => {
  test('each unknown part gets a placeholder naming where it stands; known parts keep their planned values', () => {
    const outputs = previewOutputs('flag', {
      vpc_id: { value: null, unknown: true, sensitive: false },
      private_subnet_ids: { value: ['subnet-a', null], unknown: [false, true], sensitive: false },
      tags: { value: { team: 'platform' }, unknown: { arn: true }, sensitive: true },
    });
    expect(outputs.values).toEqual({
      vpc_id: { value: placeholder('flag', 'vpc_id'), sensitive: false },
      private_subnet_ids: { value: ['subnet-a', PRIVATE_1], sensitive: false },
      tags: { value: { arn: placeholder('flag', 'tags.arn'), team: 'platform' }, sensitive: true },
    });
    expect(outputs.placeholders).toEqual(['vpc_id', 'private_subnet_ids[1]', 'tags.arn']);
  });

  test('changes.txt shows a placeholder as "(known after FLAG is applied)", quoted or inside a longer string', () => {
    const text = [`  + subnet_ids = [`, `      + "${PRIVATE_1}",`, `    ]`, `  + name = "sg-for-${placeholder('flag', 'vpc_id')}"`].join('\n');
    expect(renderPlaceholders(text, 'FLAG')).toBe(
      ['  + subnet_ids = [', '      + (known after FLAG is applied),', '    ]', '  + name = "sg-for-(known after FLAG is applied)"'].join('\n'),
    );
  });

  test("once FLAG is applied, each placeholder's real value is found in FLAG's outputs; a part that is gone has none", () => {
    const values = placeholderValues('flag', ['vpc_id', 'private_subnet_ids[1]', 'gone[0]'], {
      vpc_id: { value: 'vpc-1' },
      private_subnet_ids: { value: ['subnet-1', 'subnet-2'] },
    });
    expect([...values.entries()]).toEqual([
      [placeholder('flag', 'vpc_id'), 'vpc-1'],
      [PRIVATE_1, 'subnet-2'],
    ]);
  });
});

/** A typed plan of one node group with these values after apply. */
function nodeGroup(after: Record<string, unknown>, afterUnknown?: unknown, action: ResourceChange['action'] = 'replace'): TypedPlan {
  const change: ResourceChange = {
    address: 'aws_eks_node_group.general',
    type: 'aws_eks_node_group',
    name: 'general',
    action,
    before: {},
    after,
    ...(afterUnknown ? { afterUnknown } : {}),
  };
  return { changes: [change], outputs: [], drift: [] };
}

describe('whether a real plan is the reviewed preview', () => {
  const VPC = placeholder('flag', 'vpc_id');
  const preview = nodeGroup({ subnet_ids: [PRIVATE_1, 'subnet-1'], tags: { vpc: `nodes-of-${VPC}` }, scaling: { min: 1 } }, { arn: true });
  const values = new Map([
    [PRIVATE_1, 'subnet-9'],
    [VPC, 'vpc-7'],
  ]);

  test('the same values with the real id where each placeholder stood match, whatever order the set puts them in', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-1', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-7' }, scaling: { min: 1 } }, { arn: true });
    expect(valueDifference(preview, real, values)).toBeUndefined();
  });

  test('a part unknown in the preview may be anything in the real plan, known or not', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-1', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-7' }, scaling: { min: 1 }, arn: 'arn:aws:eks:x' });
    expect(valueDifference(preview, real, values)).toBeUndefined();
  });

  test('a known value that differs is named with its address and attribute path', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-1', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-7' }, scaling: { min: 2 } }, { arn: true });
    expect(valueDifference(preview, real, values)).toBe('aws_eks_node_group.general: scaling.min is 2 in the real plan, where the preview planned 1');
  });

  test('a set element the real plan does not have is named, compared in any order', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-2', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-7' }, scaling: { min: 1 } }, { arn: true });
    expect(valueDifference(preview, real, values)).toBe(
      'aws_eks_node_group.general: subnet_ids in the real plan has no element "subnet-1", which the preview planned (its elements compared in any order)',
    );
  });

  test('a placeholder inside a longer string stands for its real value there too', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-1', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-8' }, scaling: { min: 1 } }, { arn: true });
    expect(valueDifference(preview, real, values)).toBe(
      'aws_eks_node_group.general: tags.vpc is "nodes-of-vpc-8" in the real plan, where the preview planned "nodes-of-vpc-7"',
    );
  });

  test('a part known in the preview but unknown in the real plan differs', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-1', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-7' } }, { arn: true, scaling: true });
    expect(valueDifference(preview, real, values)).toBe(
      'aws_eks_node_group.general: scaling is known after apply in the real plan, where the preview planned {"min":1}',
    );
  });

  test('a list without placeholders compares in order, and its length counts', () => {
    const ordered = nodeGroup({ instance_types: ['m5.large', 'm5.xlarge'] });
    expect(valueDifference(ordered, nodeGroup({ instance_types: ['m5.large', 'm5.xlarge'] }), new Map())).toBeUndefined();
    expect(valueDifference(ordered, nodeGroup({ instance_types: ['m5.xlarge', 'm5.large'] }), new Map())).toBe(
      'aws_eks_node_group.general: instance_types[0] is "m5.xlarge" in the real plan, where the preview planned "m5.large"',
    );
    expect(valueDifference(ordered, nodeGroup({ instance_types: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }), new Map())).toBe(
      'aws_eks_node_group.general: instance_types has 3 element(s) in the real plan, where the preview planned 2',
    );
  });

  test('an attribute the real plan adds is a difference; null and absent are the same', () => {
    const bare = nodeGroup({ labels: null });
    expect(valueDifference(bare, nodeGroup({}), new Map())).toBeUndefined();
    expect(valueDifference(bare, nodeGroup({ labels: null, taint: 'x' }), new Map())).toBe(
      'aws_eks_node_group.general: taint is "x" in the real plan, where the preview planned null',
    );
  });

  test('a placeholder whose upstream output is gone leaves the value unequal', () => {
    const real = nodeGroup({ subnet_ids: ['subnet-1', 'subnet-9'], tags: { vpc: 'nodes-of-vpc-7' }, scaling: { min: 1 } }, { arn: true });
    expect(valueDifference(preview, real, new Map([[VPC, 'vpc-7']]))).toMatch(/^aws_eks_node_group\.general: subnet_ids in the real plan has no element /);
  });

  test('an address with another action, or one the preview did not have, is named', () => {
    const previewActions = { actions: { 'aws_eks_node_group.general': 'replace' } };
    expect(actionDifference(previewActions, { actions: { 'aws_eks_node_group.general': 'replace' } })).toBeUndefined();
    expect(actionDifference(previewActions, { actions: { 'aws_eks_node_group.general': 'update' } })).toBe(
      'aws_eks_node_group.general is replace in the preview but update in the real plan',
    );
    expect(
      actionDifference(previewActions, { actions: { 'aws_eks_node_group.general': 'replace', 'aws_iam_role.x': 'update', 'aws_iam_role.y': 'create' } }),
    ).toBe('aws_iam_role.x is absent from the preview but update in the real plan (and 1 more)');
  });
});

describe('progress of a plan that may be superseded by a preview', () => {
  test('held steps are shown at release, and steps after release are shown at once; unreleased ones never', () => {
    const shown: string[] = [];
    const base = {
      step: (_env: string, layer: string, message: string) => void shown.push(`${layer} ${message}`),
      warn: () => undefined,
      passthrough: () => undefined,
    };
    const kept = heldProgress(base);
    kept.progress.step('dev/dev2', 'KARR', 'init reused');
    expect(shown).toEqual([]);
    kept.release();
    kept.progress.step('dev/dev2', 'KARR', '16 to add, 0 to change, 0 to destroy. (4.2s)');
    expect(shown).toEqual(['KARR init reused', 'KARR 16 to add, 0 to change, 0 to destroy. (4.2s)']);

    const superseded = heldProgress(base);
    superseded.progress.step('dev/dev2', 'KARR', 'no changes. (4.0s)');
    expect(shown).toHaveLength(2);
  });
});
