/** Reading terraform's plan text: what is kept for review, the counts and each address's action. */
import { deprecationWarnings, planActions, planCounts, reviewablePlanText } from '../bdda/diff/plan-text';

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

  test('counts come from the Plan: line', () => {
    expect(planCounts(text)).toEqual({ add: 2, change: 1, destroy: 2 });
    expect(planCounts('No changes. Your infrastructure matches the configuration.')).toEqual({ add: 0, change: 0, destroy: 0 });
  });

  test('each address gets its action', () => {
    expect(planActions(text)).toEqual({
      'aws_cloudwatch_log_group.flow-log-group': 'update',
      'aws_eip.nat': 'replace',
      'aws_subnet.old': 'delete',
      'aws_subnet.new': 'create',
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
    expect(planActions(text)).toEqual({ 'aws_eks_cluster.cluster': 'create' });
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
