/**
 * The safety core of previews, without terraform: placeholders in and out of plan text, and the
 * comparison that decides whether a real plan may be applied on the strength of a reviewed preview.
 */
import { asPlaceholders, comparablePlanText, placeholder, placeholderValues, previewOutputs, renderPlaceholders } from '../bdda/diff/placeholders';
import { actionDifference, textDifference } from '../bdda/diff/preview-match';
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

  test("once FLAG is applied, each placeholder's real value is found in FLAG's outputs, and only whole tokens are written back", () => {
    const values = placeholderValues('flag', ['vpc_id', 'private_subnet_ids[1]', 'gone[0]'], {
      vpc_id: { value: 'vpc-1' },
      private_subnet_ids: { value: ['subnet-1', 'subnet-2'] },
    });
    expect([...values.entries()]).toEqual([
      [placeholder('flag', 'vpc_id'), 'vpc-1'],
      [PRIVATE_1, 'subnet-2'],
    ]);
    expect(asPlaceholders('"subnet-2", "subnet-20", "vpc-1"', values)).toBe(`"${PRIVATE_1}", "subnet-20", "${placeholder('flag', 'vpc_id')}"`);
  });

  test('runs of list elements holding a placeholder are sorted, since terraform orders a set by value; other runs keep their order', () => {
    const text = [
      '  ~ subnet_ids = [',
      '      + "b",',
      '      + (known after FLAG is applied),',
      '      + "a",',
      '    ]',
      '  + list = [',
      '      + "z",',
      '      + "y",',
      '    ]',
    ];
    expect(comparablePlanText(text.join('\n')).split('\n')).toEqual([
      '  ~ subnet_ids = [',
      '      + "a",',
      '      + "b",',
      '      + (known after FLAG is applied),',
      '    ]',
      '  + list = [',
      '      + "z",',
      '      + "y",',
      '    ]',
    ]);
  });
});

describe('whether a real plan is the reviewed preview', () => {
  const preview = [
    '  # aws_eks_node_group.general must be replaced',
    '      ~ subnet_ids = [',
    '          + (known after FLAG is applied),',
    '          + "subnet-1",',
    '        ]',
  ].join('\n');
  const values = new Map([[PRIVATE_1, 'subnet-9']]);

  test('the same plan with the real id where the placeholder stood matches, whatever order the set puts it in', () => {
    const real = [
      '  # aws_eks_node_group.general must be replaced',
      '      ~ subnet_ids = [',
      '          + "subnet-1",',
      '          + "subnet-9",',
      '        ]',
    ].join('\n');
    expect(textDifference(preview, real, values, 'FLAG')).toBeUndefined();
  });

  test('a value the preview knew that differs is named with its line', () => {
    const real = [
      '  # aws_eks_node_group.general must be replaced',
      '      ~ subnet_ids = [',
      '          + "subnet-2",',
      '          + "subnet-9",',
      '        ]',
    ].join('\n');
    expect(textDifference(preview, real, values, 'FLAG')).toMatch(/^line \d+ of the plan reads "\+ "subnet-2"," where the preview read /);
  });

  test('a real plan that goes on past the preview differs', () => {
    expect(textDifference('a', 'a\nb', new Map(), 'FLAG')).toBe('line 2 of the plan reads "b" where the preview read nothing');
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
