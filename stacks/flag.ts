/**
 * FLAG: the base AWS network of an environment. One VPC with three tiers of subnets per AZ:
 * public (load balancers, NAT gateways), private (nodes and pods, out through NAT) and intra
 * (EKS control-plane ENIs, no route out at all). S3 is reached through a gateway endpoint, the
 * other services private nodes need through interface endpoints where switched on, and every flow
 * is logged to CloudWatch under a key of its own. An optional runner subnet holds a CI runner that
 * reaches a private-only cluster API.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultNetworkAcl } from '@cdktf/provider-aws/lib/default-network-acl';
import { DefaultRouteTable } from '@cdktf/provider-aws/lib/default-route-table';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { customerManagedKey, logsServiceStatement } from './kms-keys';
import type { FlagInputs, FlagOutputs } from '../config/layer-inputs';
import { declareFlagOutputs } from './flag-outputs';
import { LayerStack } from './layer-stack';
import { PrivateEndpoints } from './private-endpoints';

type Tier = 'public' | 'private' | 'intra';

const ANYWHERE = '0.0.0.0/0';

export class FlagStack extends LayerStack {
  /** The ids FLAG exports, as tokens of this stack. */
  public readonly outputs: FlagOutputs;
  private readonly props: FlagInputs;

  constructor(scope: Construct, props: FlagInputs) {
    super(scope, 'flag', props);
    this.props = props;
    const { azs, vpc: net, region } = props;

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: net.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: this.nameTags(),
    });
    const vpcId = vpc.id;

    this.adoptDefaults(vpc);

    const subnets = (tier: Tier, tags: Record<string, string>): Subnet[] =>
      azs.map(
        (az, i) =>
          new Subnet(this, `${tier}-subnet-${az}`, {
            vpcId,
            availabilityZone: az,
            cidrBlock: net.subnets[tier][i],
            // Only load balancers and NAT gateways live in public subnets, and they get their
            // addresses explicitly; nothing else launched there should be reachable.
            mapPublicIpOnLaunch: false,
            tags: { ...this.nameTags(tier, az), ...tags },
          }),
      );
    const publicSubnets = subnets('public', { 'kubernetes.io/role/elb': '1' });
    const privateSubnets = subnets('private', {
      'kubernetes.io/role/internal-elb': '1',
      [`kubernetes.io/cluster/${this.naming.clusterName}`]: 'shared',
    });
    const intraSubnets = subnets('intra', {});

    // Public tier: one table, default route to the internet gateway.
    const igw = new InternetGateway(this, 'igw', { vpcId, tags: this.nameTags('igw') });
    const publicRouteTable = new RouteTable(this, 'public-route-table', { vpcId, tags: this.nameTags('public') });
    new Route(this, 'public-internet-route', { routeTableId: publicRouteTable.id, destinationCidrBlock: ANYWHERE, gatewayId: igw.id });
    publicSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `public-route-table-association-${azs[i]}`, { subnetId: subnet.id, routeTableId: publicRouteTable.id });
    });

    // NAT gateways are keyed by AZ and the single NAT sits in the first AZ, so moving from
    // 'single' to 'per-az' adds gateways without replacing the one in use.
    const natAzs = net.natMode === 'single' ? azs.slice(0, 1) : azs;
    const nats = natAzs.map((az, i) => {
      const eip = new Eip(this, `nat-eip-${az}`, { domain: 'vpc', tags: this.nameTags('nat', az), dependsOn: [igw] });
      return new NatGateway(this, `nat-${az}`, {
        allocationId: eip.id,
        subnetId: publicSubnets[i].id,
        tags: this.nameTags('nat', az),
        dependsOn: [igw],
      });
    });

    // Private tier: a table per AZ even with a single NAT, so that switching modes only moves routes.
    const privateRouteTables = privateSubnets.map((subnet, i) => {
      const az = azs[i];
      const table = new RouteTable(this, `private-route-table-${az}`, { vpcId, tags: this.nameTags('private', az) });
      new Route(this, `private-nat-route-${az}`, {
        routeTableId: table.id,
        destinationCidrBlock: ANYWHERE,
        natGatewayId: (nats[i] ?? nats[0]).id,
      });
      new RouteTableAssociation(this, `private-route-table-association-${az}`, { subnetId: subnet.id, routeTableId: table.id });
      return table;
    });

    // Intra tier: no route out; the control plane talks to nodes inside the VPC only.
    const intraRouteTable = new RouteTable(this, 'intra-route-table', { vpcId, tags: this.nameTags('intra') });
    intraSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `intra-route-table-association-${azs[i]}`, { subnetId: subnet.id, routeTableId: intraRouteTable.id });
    });

    // Image layers (ECR) and other S3 traffic stay off the NAT: cheaper, and never leaves AWS.
    new VpcEndpoint(this, 's3-endpoint', {
      vpcId,
      serviceName: `com.amazonaws.${region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [...privateRouteTables.map((t) => t.id), intraRouteTable.id],
      tags: this.nameTags('s3'),
    });

    // Private nodes reach ECR, STS, CloudWatch Logs and EC2 through AWS's network, not the NAT.
    if (net.interfaceEndpoints) {
      new PrivateEndpoints(this, 'interface-endpoints', {
        vpcId,
        vpcCidr: net.cidr,
        region,
        subnetIds: privateSubnets.map((s) => s.id),
        name: this.naming.resource('endpoints'),
        tags: this.nameTags('endpoints'),
      });
    }

    // A self-hosted CI runner inside the VPC reaches a private-only API; out through the first NAT.
    const runnerSubnet = net.runnerSubnet ? this.runnerSubnet(vpcId, net.runnerSubnet, nats[0]) : undefined;

    if (net.flowLogs.enabled) this.flowLogs(vpc);

    this.outputs = {
      vpcId,
      publicSubnetIds: publicSubnets.map((s) => s.id),
      privateSubnetIds: privateSubnets.map((s) => s.id),
      intraSubnetIds: intraSubnets.map((s) => s.id),
    };
    declareFlagOutputs(this, this.outputs);
    if (runnerSubnet) new TerraformOutput(this, 'runner_subnet_id', { value: runnerSubnet.id, description: 'The CI runner subnet id.' });
  }

  private runnerSubnet(vpcId: string, cidrBlock: string, nat: NatGateway): Subnet {
    const az = this.props.azs[0];
    const subnet = new Subnet(this, 'runner-subnet', {
      vpcId,
      availabilityZone: az,
      cidrBlock,
      mapPublicIpOnLaunch: false,
      tags: this.nameTags('runner', az),
    });
    const table = new RouteTable(this, 'runner-route-table', { vpcId, tags: this.nameTags('runner') });
    new Route(this, 'runner-nat-route', { routeTableId: table.id, destinationCidrBlock: ANYWHERE, natGatewayId: nat.id });
    new RouteTableAssociation(this, 'runner-route-table-association', { subnetId: subnet.id, routeTableId: table.id });
    return subnet;
  }

  /**
   * Takes over what AWS creates with every VPC, so none of it holds access nobody reviewed.
   * Each default is managed authoritatively: an empty list removes whatever is there.
   */
  private adoptDefaults(vpc: Vpc): void {
    // Nothing should use the default security group; with no rules, anything that does is cut off.
    new DefaultSecurityGroup(this, 'default-security-group', {
      vpcId: vpc.id,
      ingress: [],
      egress: [],
      tags: this.nameTags('default'),
    });

    // Network ACLs are stateless, so tightening them means opening ephemeral return ports by hand;
    // traffic is filtered by security groups instead. Adopting the ACL keeps AWS's allow-all rules
    // under review, so an edit in the console shows up as drift.
    const allowAll = { ruleNo: 100, action: 'allow', protocol: '-1', cidrBlock: ANYWHERE, fromPort: 0, toPort: 0 };
    const acl = new DefaultNetworkAcl(this, 'default-network-acl', {
      defaultNetworkAclId: vpc.defaultNetworkAclId,
      ingress: [allowAll],
      egress: [allowAll],
      tags: this.nameTags('default'),
    });
    // AWS puts every subnet on the default ACL by itself; the association list is AWS's to keep.
    acl.lifecycle = { ignoreChanges: ['subnet_ids'] };

    // Every subnet is associated explicitly; the main table catches none of them and gets no routes.
    new DefaultRouteTable(this, 'default-route-table', {
      defaultRouteTableId: vpc.defaultRouteTableId,
      route: [],
      tags: this.nameTags('default'),
    });
  }

  /** VPC flow logs to CloudWatch Logs, through a role that can write to that one log group. */
  private flowLogs(vpc: Vpc): void {
    const { accountId, region, vpc: net } = this.props;
    const logGroupName = `/aws/vpc-flow-log/${this.naming.prefix}`;
    const key = customerManagedKey(this, 'flow-log-key', {
      accountId: this.props.accountId,
      administrators: this.props.keyAdministrators,
      description: `Encryption of the VPC flow logs of ${this.naming.prefix}`,
      alias: this.naming.resource('flow-logs'),
      usage: [logsServiceStatement(this.props, logGroupName)],
      tags: this.nameTags('flow-logs'),
    });
    const logGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: logGroupName,
      retentionInDays: net.flowLogs.retentionDays,
      kmsKeyId: key.arn,
      tags: this.nameTags('flow-logs'),
    });

    const role = new IamRole(this, 'flow-log-role', {
      name: this.naming.roleName('flow-logs'),
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused-deputy guard: only flow logs of this account may assume the role.
            Condition: {
              StringEquals: { 'aws:SourceAccount': accountId },
              ArnLike: { 'aws:SourceArn': `arn:aws:ec2:${region}:${accountId}:vpc-flow-log/*` },
            },
          },
        ],
      }),
      tags: this.nameTags('flow-logs'),
    });

    new IamRolePolicy(this, 'flow-log-role-policy', {
      name: this.naming.resource('flow-logs'),
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
            Resource: `${logGroup.arn}:*`,
          },
        ],
      }),
    });

    new FlowLog(this, 'flow-log', {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      tags: this.nameTags('flow-logs'),
    });
  }
}
