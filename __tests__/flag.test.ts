/**
 * FLAG's network and security controls, checked on the synthesized Terraform of every shipped
 * environment. Each environment is synthesized once, through the same app `bdda synth` builds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listEnvironments, loadEnvironment, type Environment } from '../config/load';
import { buildTerraformApp } from '../bdda/workflow/synth-apps';

const root = path.resolve(__dirname, '..');
const buildDir = path.join(root, 'build');

type Block = Record<string, any>;
interface TfJson {
  resource: Record<string, Record<string, Block>>;
  output: Record<string, { value: unknown }>;
}

let workDir: string;

beforeAll(() => {
  fs.mkdirSync(buildDir, { recursive: true });
  workDir = fs.mkdtempSync(path.join(buildDir, 'flag-test-'));
});

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

function synthFlag(env: Environment, label: string): TfJson {
  const outdir = path.join(workDir, label);
  buildTerraformApp(env, outdir).synth();
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'flag', 'cdk.tf.json'), 'utf8')) as TfJson;
}

/** The resources of one type, by terraform name. */
function resources(tf: TfJson, type: string): Record<string, Block> {
  return tf.resource[type] ?? {};
}

function ref(type: string, name: string, attribute = 'id'): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** The terraform name a `${type.name.attr}` reference points at. */
function target(reference: unknown, type: string): string {
  const match = new RegExp(`^\\$\\{${type}\\.([^.}]+)\\.[a-z_]+\\}$`).exec(String(reference));
  if (!match) throw new Error(`${String(reference)} is not a reference to a ${type}`);
  return match[1];
}

const CIDR_TIERS = ['public', 'private', 'intra'] as const;

describe.each(listEnvironments(root).map((leaf) => leaf.path))('FLAG of %s', (envPath) => {
  const env = loadEnvironment(root, envPath);
  const { aws, vpc: net } = env.config;
  const { naming } = env;
  let tf: TfJson;

  beforeAll(() => {
    tf = synthFlag(env, envPath.replace(/\//g, '-'));
  });

  /** The subnet names of a tier in AZ order, found by CIDR so that ordering is checked too. */
  function subnetsOf(tier: (typeof CIDR_TIERS)[number]): string[] {
    const all = resources(tf, 'aws_subnet');
    return net.subnets[tier].map((cidr) => {
      const names = Object.keys(all).filter((name) => all[name].cidr_block === cidr);
      expect(names).toHaveLength(1);
      return names[0];
    });
  }

  /** Route table name each subnet is associated with. */
  function routeTableOf(subnet: string): string {
    const associations = Object.values(resources(tf, 'aws_route_table_association')).filter((a) => a.subnet_id === ref('aws_subnet', subnet));
    expect(associations).toHaveLength(1);
    return target(associations[0].route_table_id, 'aws_route_table');
  }

  function routesOf(table: string): Block[] {
    return Object.values(resources(tf, 'aws_route')).filter((r) => r.route_table_id === ref('aws_route_table', table));
  }

  test('one VPC with the configured CIDR and DNS support and hostnames', () => {
    const vpcs = Object.values(resources(tf, 'aws_vpc'));
    expect(vpcs).toHaveLength(1);
    expect(vpcs[0]).toMatchObject({ cidr_block: net.cidr, enable_dns_support: true, enable_dns_hostnames: true });
  });

  test('every subnet comes from config, in its AZ, and no other subnet exists', () => {
    const all = resources(tf, 'aws_subnet');
    // The three tiers, plus the runner subnet when one is configured (checked in real-account.test.ts).
    expect(Object.keys(all)).toHaveLength(3 * aws.azs.length + (net.runnerSubnet ? 1 : 0));
    for (const tier of CIDR_TIERS) {
      subnetsOf(tier).forEach((name, i) => {
        expect(all[name].availability_zone).toBe(aws.azs[i]);
        expect(all[name].vpc_id).toBe(ref('aws_vpc', 'vpc'));
        expect(all[name].tags.Name).toBe(naming.resource(tier, aws.azs[i]));
      });
    }
  });

  test('no subnet maps public IPs on launch; public ones say so explicitly', () => {
    const all = resources(tf, 'aws_subnet');
    for (const subnet of Object.values(all)) expect(subnet.map_public_ip_on_launch).not.toBe(true);
    for (const name of subnetsOf('public')) expect(all[name].map_public_ip_on_launch).toBe(false);
  });

  test('subnets carry the load balancer and cluster discovery tags of their tier only', () => {
    const all = resources(tf, 'aws_subnet');
    const clusterTag = `kubernetes.io/cluster/${naming.clusterName}`;
    for (const name of subnetsOf('public')) {
      expect(all[name].tags['kubernetes.io/role/elb']).toBe('1');
      expect(all[name].tags).not.toHaveProperty(['kubernetes.io/role/internal-elb']);
    }
    for (const name of subnetsOf('private')) {
      expect(all[name].tags['kubernetes.io/role/internal-elb']).toBe('1');
      expect(all[name].tags[clusterTag]).toBe('shared');
      expect(all[name].tags).not.toHaveProperty(['kubernetes.io/role/elb']);
    }
    for (const name of subnetsOf('intra')) {
      expect(all[name].tags).not.toHaveProperty(['kubernetes.io/role/elb']);
      expect(all[name].tags).not.toHaveProperty(['kubernetes.io/role/internal-elb']);
    }
  });

  test('every tagged resource is named by the naming rule', () => {
    for (const [type, byName] of Object.entries(tf.resource)) {
      for (const [name, block] of Object.entries(byName)) {
        if (!block.tags) continue;
        expect({ resource: `${type}.${name}`, Name: block.tags.Name }).toEqual({
          resource: `${type}.${name}`,
          Name: expect.stringMatching(new RegExp(`^${naming.prefix}(-|$)`)),
        });
      }
    }
  });

  test(`NAT gateways follow natMode (${net.natMode}), each with a VPC EIP in a public subnet`, () => {
    const nats = Object.values(resources(tf, 'aws_nat_gateway'));
    const eips = resources(tf, 'aws_eip');
    expect(nats).toHaveLength(net.natMode === 'single' ? 1 : aws.azs.length);
    expect(Object.keys(eips)).toHaveLength(nats.length);
    const publicSubnets = subnetsOf('public');
    const usedSubnets = nats.map((nat) => target(nat.subnet_id, 'aws_subnet'));
    expect(new Set(usedSubnets).size).toBe(nats.length);
    for (const subnet of usedSubnets) expect(publicSubnets).toContain(subnet);
    const usedEips = nats.map((nat) => target(nat.allocation_id, 'aws_eip'));
    expect(new Set(usedEips).size).toBe(nats.length);
    for (const eip of usedEips) expect(eips[eip].domain).toBe('vpc');
  });

  test('public subnets route to the internet through the internet gateway', () => {
    const igws = resources(tf, 'aws_internet_gateway');
    expect(Object.keys(igws)).toHaveLength(1);
    const igw = Object.keys(igws)[0];
    expect(igws[igw].vpc_id).toBe(ref('aws_vpc', 'vpc'));
    for (const subnet of subnetsOf('public')) {
      const routes = routesOf(routeTableOf(subnet));
      expect(routes).toEqual([expect.objectContaining({ destination_cidr_block: '0.0.0.0/0', gateway_id: ref('aws_internet_gateway', igw) })]);
    }
  });

  test('each private subnet has its own route table whose only route out is a NAT gateway', () => {
    const privateSubnets = subnetsOf('private');
    const tables = privateSubnets.map(routeTableOf);
    expect(new Set(tables).size).toBe(aws.azs.length);
    const nats = resources(tf, 'aws_nat_gateway');
    const natsUsed = tables.map((table, i) => {
      const routes = routesOf(table);
      expect(routes).toHaveLength(1);
      expect(routes[0].destination_cidr_block).toBe('0.0.0.0/0');
      expect(routes[0]).not.toHaveProperty('gateway_id');
      const nat = target(routes[0].nat_gateway_id, 'aws_nat_gateway');
      if (net.natMode === 'per-az') {
        // Zone-local NAT: an AZ outage takes only its own zone's egress down.
        const natSubnet = resources(tf, 'aws_subnet')[target(nats[nat].subnet_id, 'aws_subnet')];
        expect(natSubnet.availability_zone).toBe(aws.azs[i]);
      }
      return nat;
    });
    expect(new Set(natsUsed).size).toBe(net.natMode === 'single' ? 1 : aws.azs.length);
  });

  test('intra subnets have no route out at all', () => {
    const intraTables = new Set(subnetsOf('intra').map(routeTableOf));
    const publicAndPrivate = new Set([...subnetsOf('public'), ...subnetsOf('private')].map(routeTableOf));
    for (const table of intraTables) {
      expect(publicAndPrivate.has(table)).toBe(false);
      expect(routesOf(table)).toEqual([]);
      const block = resources(tf, 'aws_route_table')[table];
      expect(block.route ?? []).toEqual([]);
    }
  });

  test('the main route table is adopted with no routes', () => {
    const tables = Object.values(resources(tf, 'aws_default_route_table'));
    expect(tables).toHaveLength(1);
    expect(tables[0].default_route_table_id).toBe(ref('aws_vpc', 'vpc', 'default_route_table_id'));
    expect(tables[0].route).toEqual([]);
  });

  test('the default security group is adopted with no rules', () => {
    const groups = Object.values(resources(tf, 'aws_default_security_group'));
    expect(groups).toHaveLength(1);
    expect(groups[0].vpc_id).toBe(ref('aws_vpc', 'vpc'));
    // An explicit empty list, not an absent one: absent would leave rules added later alone.
    expect(groups[0].ingress).toEqual([]);
    expect(groups[0].egress).toEqual([]);
  });

  test("the default network ACL is adopted, keeping only AWS's allow-all rules", () => {
    const acls = Object.values(resources(tf, 'aws_default_network_acl'));
    expect(acls).toHaveLength(1);
    expect(acls[0].default_network_acl_id).toBe(ref('aws_vpc', 'vpc', 'default_network_acl_id'));
    const allowAll = { rule_no: 100, action: 'allow', protocol: '-1', cidr_block: '0.0.0.0/0', from_port: 0, to_port: 0 };
    expect(acls[0].ingress).toEqual([allowAll]);
    expect(acls[0].egress).toEqual([allowAll]);
  });

  test('an S3 gateway endpoint serves the private and intra route tables, not the public one', () => {
    // Interface endpoints are checked in real-account.test.ts.
    const endpoints = Object.values(resources(tf, 'aws_vpc_endpoint')).filter((e) => e.vpc_endpoint_type === 'Gateway');
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({ vpc_id: ref('aws_vpc', 'vpc'), vpc_endpoint_type: 'Gateway', service_name: `com.amazonaws.${aws.region}.s3` });
    const expected = new Set([...subnetsOf('private'), ...subnetsOf('intra')].map((s) => ref('aws_route_table', routeTableOf(s))));
    expect(new Set(endpoints[0].route_table_ids)).toEqual(expected);
    for (const subnet of subnetsOf('public')) expect(endpoints[0].route_table_ids).not.toContain(ref('aws_route_table', routeTableOf(subnet)));
  });

  describe('flow logs', () => {
    test('are enabled in every shipped environment', () => {
      expect(net.flowLogs.enabled).toBe(true);
    });

    test('capture all traffic of the VPC into a CloudWatch log group kept as long as config says', () => {
      const flowLogs = Object.values(resources(tf, 'aws_flow_log'));
      expect(flowLogs).toHaveLength(1);
      expect(flowLogs[0]).toMatchObject({ vpc_id: ref('aws_vpc', 'vpc'), traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
      const group = target(flowLogs[0].log_destination, 'aws_cloudwatch_log_group');
      expect(flowLogs[0].log_destination).toBe(ref('aws_cloudwatch_log_group', group, 'arn'));
      const logGroup = resources(tf, 'aws_cloudwatch_log_group')[group];
      expect(logGroup.name).toBe(`/aws/vpc-flow-log/${naming.prefix}`);
      expect(logGroup.retention_in_days).toBe(net.flowLogs.retentionDays);
    });

    test('go through a role only vpc-flow-logs of this account can assume', () => {
      const flowLog = Object.values(resources(tf, 'aws_flow_log'))[0];
      const roleName = target(flowLog.iam_role_arn, 'aws_iam_role');
      const role = resources(tf, 'aws_iam_role')[roleName];
      expect(role.name).toBe(naming.roleName('flow-logs'));
      const trust = JSON.parse(role.assume_role_policy);
      expect(trust.Statement).toHaveLength(1);
      const [statement] = trust.Statement;
      expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' });
      expect(Object.keys(statement.Principal)).toEqual(['Service']);
      expect(statement.Condition.StringEquals['aws:SourceAccount']).toBe(aws.accountId);
    });

    test('have a least-privilege policy: four log actions on that one log group', () => {
      const flowLog = Object.values(resources(tf, 'aws_flow_log'))[0];
      const roleName = target(flowLog.iam_role_arn, 'aws_iam_role');
      const group = target(flowLog.log_destination, 'aws_cloudwatch_log_group');
      const policies = Object.values(resources(tf, 'aws_iam_role_policy')).filter((p) => p.role === ref('aws_iam_role', roleName));
      expect(policies).toHaveLength(1);
      // No managed policy widens it.
      expect(resources(tf, 'aws_iam_role_policy_attachment')).toEqual({});
      const document = JSON.parse(policies[0].policy);
      expect(document.Statement).toHaveLength(1);
      const [statement] = document.Statement;
      expect(statement.Effect).toBe('Allow');
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
      expect([statement.Action].flat().sort()).toEqual(['logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
      expect([statement.Resource].flat()).toEqual([`${ref('aws_cloudwatch_log_group', group, 'arn')}:*`]);
    });
  });

  test('outputs hand KARR the VPC and every subnet tier in AZ order', () => {
    expect(tf.output.vpc_id.value).toBe(ref('aws_vpc', 'vpc'));
    expect(tf.output.public_subnet_ids.value).toEqual(subnetsOf('public').map((s) => ref('aws_subnet', s)));
    expect(tf.output.private_subnet_ids.value).toEqual(subnetsOf('private').map((s) => ref('aws_subnet', s)));
    expect(tf.output.intra_subnet_ids.value).toEqual(subnetsOf('intra').map((s) => ref('aws_subnet', s)));
  });
});

describe('FLAG with flow logs disabled', () => {
  test('creates no flow log, log group or role', () => {
    const env = loadEnvironment(root, listEnvironments(root)[0].path);
    const config = { ...env.config, vpc: { ...env.config.vpc, flowLogs: { ...env.config.vpc.flowLogs, enabled: false } } };
    const tf = synthFlag({ ...env, config }, 'flow-logs-disabled');
    expect(resources(tf, 'aws_flow_log')).toEqual({});
    expect(resources(tf, 'aws_cloudwatch_log_group')).toEqual({});
    expect(resources(tf, 'aws_iam_role')).toEqual({});
    expect(resources(tf, 'aws_iam_role_policy')).toEqual({});
  });
});
