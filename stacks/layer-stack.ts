/**
 * What every terraform layer shares: the AWS provider, locked to the environment's account and
 * tagging everything, and the S3 state backend at the key the naming rule gives the layer.
 *
 * Nothing here points at the emulator: for emulated environments the workflow sets the AWS SDK's
 * endpoint variables at run time, so the synthesized code has one shape for every environment.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import type { Layer, Naming } from '../config/naming';

export interface LayerStackProps {
  /** The environment's merged, validated config. */
  readonly config: EnvironmentConfig;
  /** Names derived from the environment's path. */
  readonly naming: Naming;
}

export abstract class LayerStack extends TerraformStack {
  protected readonly config: EnvironmentConfig;
  protected readonly naming: Naming;

  constructor(scope: Construct, layer: Exclude<Layer, 'goliath'>, props: LayerStackProps) {
    super(scope, layer);
    this.config = props.config;
    this.naming = props.naming;
    const { aws, backend, organisation, tags } = props.config;

    new AwsProvider(this, 'aws', {
      region: aws.region,
      allowedAccountIds: [aws.accountId],
      defaultTags: [{ tags: { ...tags, organisation, environment: props.naming.envPath, layer } }],
    });

    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key: props.naming.stateKey(layer),
      region: backend.region,
      encrypt: true,
      dynamodbTable: backend.lockTable,
    });
    // cdktf 0.21 predates S3 native locking; terraform >= 1.10 reads the key all the same.
    if (!backend.lockTable) s3.addOverride('use_lockfile', true);
  }

  /** Tags for a named resource: the `Name` tag is the naming rule's resource name. */
  protected nameTags(...parts: string[]): Record<string, string> {
    return { Name: this.naming.resource(...parts) };
  }
}
