/**
 * FLAG: the base AWS network of an environment. (Stub: the FLAG helper replaces the body.)
 */
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { Construct } from 'constructs';
import { LayerStack, type LayerStackProps } from './layer-stack';

/** What KARR needs from FLAG, passed as props; cdktf turns it into remote state. */
export interface FlagNetwork {
  /** The VPC id. */
  readonly vpcId: string;
  /** Public subnet ids, in AZ order. */
  readonly publicSubnetIds: string[];
  /** Private (node) subnet ids, in AZ order. */
  readonly privateSubnetIds: string[];
  /** Intra (control-plane ENI) subnet ids, in AZ order. */
  readonly intraSubnetIds: string[];
}

export class FlagStack extends LayerStack {
  public readonly network: FlagNetwork;

  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, 'flag', props);
    const vpc = new Vpc(this, 'vpc', { cidrBlock: props.config.vpc.cidr, tags: this.nameTags() });
    this.network = { vpcId: vpc.id, publicSubnetIds: [], privateSubnetIds: [], intraSubnetIds: [] };
  }
}
