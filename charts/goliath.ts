/**
 * Goliath: everything applied to the Kubernetes API to make it a platform. (Stub.)
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bdda/config/schema';
import type { Naming } from '../bdda/naming';

export interface GoliathChartProps {
  /** The environment's merged, validated config. */
  readonly config: EnvironmentConfig;
  /** Names derived from the environment's path. */
  readonly naming: Naming;
}

export class GoliathChart extends Chart {
  constructor(scope: Construct, id: string, props: GoliathChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    new kplus.Namespace(this, 'platform', { metadata: { name: props.config.platform.namespace } });
  }
}
