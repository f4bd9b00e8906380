/**
 * Interface VPC endpoints for what a private EKS node calls at boot and at every image pull:
 * ECR (api for tokens and manifests, dkr for the registry; layers come from S3 through FLAG's
 * gateway endpoint), STS (IRSA's AssumeRoleWithWebIdentity), CloudWatch Logs and EC2. With
 * private DNS on, the regional names resolve to the endpoints, so nothing needs configuring and
 * none of it goes through the NAT.
 */
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';

/** The services, by the last part of their endpoint service name. */
export const INTERFACE_ENDPOINT_SERVICES = ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'ec2'] as const;

export interface PrivateEndpointsProps {
  /** The VPC. */
  readonly vpcId: string;
  /** The VPC's CIDR; everything in it may call the endpoints on 443. */
  readonly vpcCidr: string;
  /** The AWS region, for the service names. */
  readonly region: string;
  /** Subnets to put an endpoint network interface in, one per AZ. */
  readonly subnetIds: string[];
  /** Names the security group and tags, e.g. `dev-dev2-endpoints`. */
  readonly name: string;
  /** Tags of each endpoint and the security group. */
  readonly tags: Record<string, string>;
}

export class PrivateEndpoints extends Construct {
  /** The endpoints' own security group. */
  public readonly securityGroup: SecurityGroup;
  public readonly endpoints: VpcEndpoint[];

  constructor(scope: Construct, id: string, props: PrivateEndpointsProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name: props.name,
      description: 'HTTPS from the VPC to the interface endpoints',
      vpcId: props.vpcId,
      tags: { ...props.tags, Name: props.name },
    });
    new VpcSecurityGroupIngressRule(this, 'https-from-vpc', {
      securityGroupId: this.securityGroup.id,
      description: 'HTTPS from the VPC',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: props.vpcCidr,
    });
    // No egress rule: endpoints answer on the connections they receive and open none.

    this.endpoints = INTERFACE_ENDPOINT_SERVICES.map(
      (service) =>
        new VpcEndpoint(this, service.replace('.', '-'), {
          vpcId: props.vpcId,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: 'Interface',
          subnetIds: props.subnetIds,
          securityGroupIds: [this.securityGroup.id],
          privateDnsEnabled: true,
          tags: { ...props.tags, Name: `${props.name}-${service.replace('.', '-')}` },
        }),
    );
  }
}
