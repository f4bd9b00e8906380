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
import type { TerraformLayerInputs } from '../config/layer-inputs';
import type { Layer, Naming } from '../config/naming';

export abstract class LayerStack extends TerraformStack {
  protected readonly naming: Naming;

  constructor(scope: Construct, layer: Exclude<Layer, 'goliath'>, props: TerraformLayerInputs) {
    super(scope, layer);
    this.naming = props.naming;
    const { state } = props;

    new AwsProvider(this, 'aws', {
      region: props.region,
      allowedAccountIds: [props.accountId],
      defaultTags: [{ tags: { ...props.tags } }],
    });

    const s3 = new S3Backend(this, {
      bucket: state.bucket,
      key: state.key,
      region: state.region,
      encrypt: true,
      dynamodbTable: state.lockTable,
    });
    // cdktf 0.21 predates S3 native locking; terraform >= 1.10 reads the key all the same.
    if (!state.lockTable) s3.addOverride('use_lockfile', true);
  }

  /** Tags for a named resource: the `Name` tag is the naming rule's resource name. */
  protected nameTags(...parts: string[]): Record<string, string> {
    return { Name: this.naming.resource(...parts) };
  }
}
