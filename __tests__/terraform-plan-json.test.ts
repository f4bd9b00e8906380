/**
 * Terraform's `show -json` of a saved plan read as a typed plan. The fixture is a real FLAG plan
 * against the emulator (terraform 1.11.4, hashicorp/aws 5.100.0), trimmed, with a replacement, a
 * sensitive value, a deletion, an import, a move, drift and outputs added in terraform's format.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../config/errors';
import { parsePlanJson, plannedOutputsOf, typedPlanOf } from '../bdda/diff/terraform-plan-json';
import { planActions, planCounts, SENSITIVE } from '../bdda/diff/typed-plan';

const FIXTURE = path.join(__dirname, 'fixtures', 'terraform-show-plan.json');
const doc = (): Record<string, unknown> => JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
const typed = () => typedPlanOf(parsePlanJson(doc(), 'flag.tfplan'));
const change = (address: string) => typed().changes.find((c) => c.address === address);

describe('a typed plan from terraform show -json', () => {
  test('each address with its action, in address order; no-ops left out, an unchanged import kept as import', () => {
    expect(typed().changes.map((c) => c.address)).toEqual([
      'aws_cloudwatch_log_group.flow-log-group',
      'aws_kms_alias.flow-log-key-alias',
      'aws_route_table.intra-route-table',
      'aws_subnet.private-subnet-us-east-1a',
      'aws_subnet.private-subnet-us-east-1b',
      'aws_vpc.vpc',
      'module.secrets.aws_ssm_parameter.token',
    ]);
    expect(planActions(typed())).toEqual({
      'aws_cloudwatch_log_group.flow-log-group': 'create',
      'aws_kms_alias.flow-log-key-alias': 'import',
      'aws_route_table.intra-route-table': 'delete',
      'aws_subnet.private-subnet-us-east-1a': 'create',
      'aws_subnet.private-subnet-us-east-1b': 'replace',
      'aws_vpc.vpc': 'create',
      'module.secrets.aws_ssm_parameter.token': 'update',
    });
    expect(change('aws_kms_alias.flow-log-key-alias')?.importing).toBe(true);
    // The id is part of the reviewed plan: an import of another resource to the same address is another plan.
    expect(change('aws_kms_alias.flow-log-key-alias')?.importId).toBe('alias/dev-dev2-flow-logs');
  });

  test('counts as terraform counts them: a replacement adds one and destroys one, an import neither', () => {
    expect(planCounts(typed(), 'destroy')).toEqual({ add: 4, change: 1, destroy: 2 });
  });

  test("a replacement carries the attributes that force it and terraform's reason", () => {
    const subnet = change('aws_subnet.private-subnet-us-east-1b');
    expect(subnet?.replacePaths).toEqual([['cidr_block']]);
    expect(subnet?.reason).toBe('replace_because_cannot_update');
    expect(subnet?.before).toEqual(expect.objectContaining({ cidr_block: '10.12.32.0/20' }));
    expect(subnet?.after).toEqual(expect.objectContaining({ cidr_block: '10.12.48.0/20' }));
  });

  test('module, type and name are kept; a deletion says why', () => {
    expect(change('module.secrets.aws_ssm_parameter.token')).toEqual(
      expect.objectContaining({ module: 'module.secrets', type: 'aws_ssm_parameter', name: 'token' }),
    );
    expect(change('aws_vpc.vpc')?.module).toBeUndefined();
    expect(change('aws_route_table.intra-route-table')).toEqual(expect.objectContaining({ after: null, reason: 'delete_because_no_resource_config' }));
  });

  test('no sensitive value reaches the typed plan: each becomes the marker, before and after', () => {
    const token = change('module.secrets.aws_ssm_parameter.token');
    expect(token?.before).toEqual(expect.objectContaining({ value: SENSITIVE, name: '/dev2/token' }));
    expect(token?.after).toEqual(expect.objectContaining({ value: SENSITIVE }));
    const text = JSON.stringify(typed());
    expect(text).not.toMatch(/hunter2|0d6c2e51"/);
    expect(typed().outputs.find((o) => o.name === 'flow_log_key_arn')).toEqual({
      name: 'flow_log_key_arn',
      action: 'create',
      before: null,
      after: SENSITIVE,
      sensitive: true,
    });
  });

  test('a value unknown until apply is absent from after and marked in afterUnknown; marks of nothing are dropped', () => {
    const vpc = change('aws_vpc.vpc');
    expect(vpc?.after).not.toHaveProperty('id');
    expect(vpc?.after).toEqual(expect.objectContaining({ cidr_block: '10.12.0.0/16', tags: { Name: 'dev-dev2' } }));
    expect(vpc?.afterUnknown).toEqual(expect.objectContaining({ id: true, arn: true }));
    expect(vpc?.afterUnknown).not.toHaveProperty('tags');
    expect(change('aws_route_table.intra-route-table')?.afterUnknown).toBeUndefined();
  });

  test('outputs that change, with unknown elements in place; drift apart from the changes', () => {
    expect(typed().outputs.map((o) => [o.name, o.action])).toEqual([
      ['flow_log_key_arn', 'create'],
      ['private_subnet_ids', 'update'],
      ['vpc_id', 'create'],
    ]);
    const privateIds = typed().outputs.find((o) => o.name === 'private_subnet_ids');
    expect(privateIds).toEqual(expect.objectContaining({ after: [null, 'subnet-3'], afterUnknown: [true, false], sensitive: false }));
    expect(typed().outputs.find((o) => o.name === 'vpc_id')).toEqual(expect.objectContaining({ afterUnknown: true }));
    expect(typed().outputs.find((o) => o.name === 'vpc_id')?.after).toBeUndefined();
    expect(typed().drift).toEqual([
      expect.objectContaining({
        address: 'aws_vpc.vpc',
        action: 'update',
        after: expect.objectContaining({ tags: { Name: 'dev-dev2', 'touched-by': 'console' } }),
      }),
    ]);
  });

  test('the planned outputs for a preview keep real values, sensitive ones too, and every output the plan gives', () => {
    const planned = plannedOutputsOf(parsePlanJson(doc(), 'flag.tfplan'));
    expect(planned.flow_log_key_arn).toEqual({ value: 'arn:aws:kms:us-east-1:000000000000:key/0d6c2e51', unknown: false, sensitive: true });
    expect(planned.vpc_id).toEqual({ value: null, unknown: true, sensitive: false });
    expect(planned.intra_subnet_ids).toEqual({ value: ['subnet-1', 'subnet-2'], unknown: false, sensitive: false });
    expect(planned.private_subnet_ids).toEqual({ value: [null, 'subnet-3'], unknown: [true, false], sensitive: false });
  });

  test('the same document gives the same typed plan, whatever order terraform lists it in', () => {
    const reversed = doc();
    reversed.resource_changes = [...(reversed.resource_changes as unknown[])].reverse();
    expect(typedPlanOf(parsePlanJson(reversed, 'flag.tfplan'))).toEqual(typed());
  });
});

describe('a document bdda cannot read is refused', () => {
  const refusal = (d: unknown): BddaError => {
    try {
      typedPlanOf(parsePlanJson(d, 'build/dev/dev2/stacks/flag/flag.tfplan'));
    } catch (err) {
      return err as BddaError;
    }
    throw new Error('the document was read');
  };

  test('not a plan at all', () => {
    const err = refusal({ values: {} });
    expect(err).toBeInstanceOf(BddaError);
    expect(err.message).toContain('build/dev/dev2/stacks/flag/flag.tfplan');
    expect(err.message).toContain('format_version');
  });

  test('a resource change without its actions, or with actions bdda does not know', () => {
    const missing = doc();
    (missing.resource_changes as Array<{ change: Record<string, unknown> }>)[0].change.actions = undefined;
    expect(refusal(missing).message).toContain('resource_changes.0.change.actions');
    const odd = doc();
    (odd.resource_changes as Array<{ change: Record<string, unknown> }>)[0].change.actions = ['update', 'delete'];
    expect(refusal(odd).message).toContain('[update, delete]');
  });
});
