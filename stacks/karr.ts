/**
 * KARR: the compute behind a bare Kubernetes API. (Stub: the KARR helper replaces the body.)
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { Construct } from 'constructs';
import type { FlagNetwork } from './flag';
import { LayerStack, type LayerStackProps } from './layer-stack';

export interface KarrStackProps extends LayerStackProps {
  /** FLAG's network, read through remote state. */
  readonly network: FlagNetwork;
}

export class KarrStack extends LayerStack {
  constructor(scope: Construct, props: KarrStackProps) {
    super(scope, 'karr', props);
    new CloudwatchLogGroup(this, 'control-plane-logs', { name: `/aws/eks/${this.naming.clusterName}/cluster`, tags: { vpc: props.network.vpcId } });
  }
}
