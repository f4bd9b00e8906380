/**
 * Terraform's plan text is kept for people: what changes.txt shows of it. The counts and each
 * address's action come from the same plan as data (`show -json`), never from this text.
 */
import { deprecationWarnings, reviewablePlanText } from '../bdda/diff/plan-text';
import { parsePlanJson, typedPlanOf } from '../bdda/diff/terraform-plan-json';
import { planActions, planCounts } from '../bdda/diff/typed-plan';

/** The `show -json` of a plan making `actions` (terraform's lists), each resource otherwise empty. */
function shown(actions: Record<string, string[]>): ReturnType<typeof typedPlanOf> {
  const resourceChanges = Object.entries(actions).map(([address, list]) => ({
    address,
    type: address.split('.')[0],
    name: address.split('.')[1],
    change: { actions: list, before: list[0] === 'create' ? null : {}, after: list.includes('create') || list[0] === 'update' ? {} : null },
  }));
  return typedPlanOf(parsePlanJson({ format_version: '1.2', resource_changes: resourceChanges }, 'test.tfplan'));
}

const STDOUT = `data.terraform_remote_state.flag: Reading...
data.terraform_remote_state.flag: Read complete after 0s
aws_vpc.vpc: Refreshing state... [id=vpc-0abc]
Acquiring state lock. This may take a few moments...

Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  + create
  ~ update in-place
-/+ destroy and then create replacement
  - destroy

Terraform will perform the following actions:

  # aws_cloudwatch_log_group.flow-log-group will be updated in-place
  ~ resource "aws_cloudwatch_log_group" "flow-log-group" {
      ~ retention_in_days = 7 -> 14
    }

  # aws_eip.nat must be replaced
-/+ resource "aws_eip" "nat" {
    }

  # aws_subnet.old will be destroyed
  - resource "aws_subnet" "old" {
    }

  # aws_subnet.new will be created
  + resource "aws_subnet" "new" {
    }

Plan: 2 to add, 1 to change, 2 to destroy.

─────────────────────────────────────────────────────────────────────────────

Saved the plan to: /work/build/dev/dev2/stacks/flag/flag.tfplan

To perform exactly these actions, run the following command to apply:
    terraform apply "/work/build/dev/dev2/stacks/flag/flag.tfplan"
Releasing state lock. This may take a few moments...
`;

describe('terraform plan text', () => {
  const text = reviewablePlanText(STDOUT);

  test('drops what changes from run to run: reads, refreshes, locks, the plan file path', () => {
    expect(text).not.toMatch(/Reading\.\.\.|Read complete|Refreshing state|state lock|Saved the plan|flag\.tfplan/);
    expect(text.startsWith('Terraform used the selected providers')).toBe(true);
    expect(text).toContain('~ retention_in_days = 7 -> 14');
  });

  // The same plan as data: what the Plan: line says, from the typed plan.
  const SAME_PLAN = {
    'aws_cloudwatch_log_group.flow-log-group': ['update'],
    'aws_eip.nat': ['delete', 'create'],
    'aws_subnet.old': ['delete'],
    'aws_subnet.new': ['create'],
  };

  test("the counts are terraform's Plan: line, from the plan as data", () => {
    expect(text).toContain('Plan: 2 to add, 1 to change, 2 to destroy.');
    expect(planCounts(shown(SAME_PLAN), 'destroy')).toEqual({ add: 2, change: 1, destroy: 2 });
    expect(planCounts(shown({}), 'destroy')).toEqual({ add: 0, change: 0, destroy: 0 });
  });

  test('each address gets its action, a create-before-destroy replacement too', () => {
    expect(planActions(shown(SAME_PLAN))).toEqual({
      'aws_cloudwatch_log_group.flow-log-group': 'update',
      'aws_eip.nat': 'replace',
      'aws_subnet.new': 'create',
      'aws_subnet.old': 'delete',
    });
    expect(planActions(shown({ 'aws_eip.nat': ['create', 'delete'], 'data.aws_ami.x': ['read'] }))).toEqual({
      'aws_eip.nat': 'replace',
      'data.aws_ami.x': 'read',
    });
  });
});

// terraform 1.11.4's own words for a remote state (or backend) that still names a DynamoDB lock
// table, after the plan, beside a warning that is not about deprecation.
const WARNED = `data.terraform_remote_state.flag: Reading...
data.terraform_remote_state.flag: Read complete after 0s

Terraform will perform the following actions:

  # aws_eks_cluster.cluster will be created
  + resource "aws_eks_cluster" "cluster" {
    }

Plan: 1 to add, 0 to change, 0 to destroy.

Warning: Deprecated Parameter

  with data.terraform_remote_state.flag,
  on cdk.tf.json line 12, in data.terraform_remote_state.flag.config:
  12:           "dynamodb_table": "acme-bdda-dev-locks",

The parameter "dynamodb_table" is deprecated. Use parameter "use_lockfile"
instead.

(and 2 more similar warnings elsewhere)

Warning: Value for undeclared variable

The root module does not declare a variable named "x".

─────────────────────────────────────────────────────────────────────────────

Saved the plan to: /work/build/dev/dev2/stacks/karr/karr.tfplan
`;

describe('deprecation warnings in plan text', () => {
  test('are left out of the reviewed text, and other warnings and the plan are kept', () => {
    const text = reviewablePlanText(WARNED);
    expect(text).not.toMatch(/Deprecated|dynamodb_table|use_lockfile|similar warnings/);
    expect(text).toContain('Warning: Value for undeclared variable');
    expect(text).toContain('The root module does not declare a variable named "x".');
    expect(text).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(text).toContain('# aws_eks_cluster.cluster will be created');
  });

  test('are given one line each, with the title and the explanation but not the source lines', () => {
    expect(deprecationWarnings(WARNED)).toEqual([
      'Deprecated Parameter: The parameter "dynamodb_table" is deprecated. Use parameter "use_lockfile" instead. (and 2 more similar warnings elsewhere)',
    ]);
    expect(deprecationWarnings(STDOUT)).toEqual([]);
  });

  test('the same plan with and without a deprecation warning reads the same', () => {
    const without = WARNED.replace(/Warning: Deprecated Parameter[\s\S]*?elsewhere\)\n\n/, '');
    expect(without).not.toContain('Deprecated');
    expect(reviewablePlanText(WARNED)).toBe(reviewablePlanText(without));
  });
});
