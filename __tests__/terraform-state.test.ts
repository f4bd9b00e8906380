/** Reading terraform state JSON: the one parser every reader of a layer's state goes through. */
import { parseTerraformState, resourceAddress, stateOutputs } from '../bdda/state/terraform-state';

const STATE = JSON.stringify({
  version: 4,
  terraform_version: '1.11.4',
  outputs: {
    vpc_id: { value: 'vpc-0abc', type: 'string' },
    private_subnet_ids: { value: ['subnet-1', 'subnet-2'], type: ['list', 'string'] },
    db_password: { value: 'hunter2', type: 'string', sensitive: true },
  },
  resources: [
    {
      mode: 'managed',
      type: 'aws_vpc',
      name: 'main',
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ schema_version: 1, attributes: { id: 'vpc-0abc', arn: 'arn:aws:ec2:eu-west-1:1:vpc/vpc-0abc' } }],
    },
    { mode: 'data', type: 'aws_region', name: 'current', instances: [{ attributes: { name: 'eu-west-1' } }] },
    { module: 'module.eks', mode: 'managed', type: 'aws_iam_role', name: 'node', instances: [{}] },
    { mode: 'managed', name: 'no-type' },
  ],
});

describe('parseTerraformState', () => {
  test('returns the outputs with their values, types and sensitivity as the state records them', () => {
    const { outputs } = parseTerraformState(STATE);
    expect(Object.keys(outputs)).toEqual(['vpc_id', 'private_subnet_ids', 'db_password']);
    expect(outputs.private_subnet_ids).toEqual({ value: ['subnet-1', 'subnet-2'], type: ['list', 'string'] });
    expect(outputs.db_password.sensitive).toBe(true);
  });

  test('returns managed, data and module resources with instance attributes, leaving out a resource without a type', () => {
    const { resources } = parseTerraformState(STATE);
    expect(resources.map(resourceAddress)).toEqual(['aws_vpc.main', 'data.aws_region.current', 'module.eks.aws_iam_role.node']);
    expect(resources[0].instances[0].attributes.id).toBe('vpc-0abc');
    expect(resources[2].instances).toEqual([{ attributes: {} }]);
  });

  test('no state object (undefined or empty text) is an empty state', () => {
    expect(parseTerraformState(undefined)).toEqual({ outputs: {}, resources: [] });
    expect(stateOutputs('')).toEqual({});
  });

  test('a state without outputs or resources (a fresh, empty state) has none', () => {
    expect(parseTerraformState(JSON.stringify({ version: 4, serial: 1 }))).toEqual({ outputs: {}, resources: [] });
  });

  test('text that is not JSON is an error, not an empty state', () => {
    expect(() => parseTerraformState('{"version": 4,')).toThrow(SyntaxError);
  });
});
