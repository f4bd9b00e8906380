/** Reading terraform's plan text: what is kept for review, the counts and each address's action. */
import { planActions, planCounts, reviewablePlanText } from '../bdda/plan-text';

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
