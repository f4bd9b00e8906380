/**
 * FLAG's outputs (`FlagOutputs`, `FLAG_OUTPUTS` in config/layer-inputs.ts) in terraform: FLAG
 * writes them under their declared names, KARR reads them back through one `terraform_remote_state`
 * of FLAG's state, as whole lists.
 *
 * Reading lists (not one cross-stack output per subnet, as cdktf's automatic references do) keeps
 * KARR plannable when FLAG grows: after an AZ is added, KARR plans against the subnets FLAG has
 * applied until FLAG is applied, instead of failing on an output that does not exist yet.
 */
import { DataTerraformRemoteStateS3, TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { FLAG_OUTPUTS, type FlagOutputs, type StateLocation } from '../config/layer-inputs';

/** The id of KARR's one remote state of FLAG: `data.terraform_remote_state.flag`. */
const FLAG_REMOTE_STATE_ID = 'flag';

/** Declares FLAG's outputs in FLAG's stack. */
export function declareFlagOutputs(scope: Construct, values: FlagOutputs): void {
  for (const key of Object.keys(FLAG_OUTPUTS) as Array<keyof FlagOutputs>) {
    const { name, description } = FLAG_OUTPUTS[key];
    new TerraformOutput(scope, name, { value: values[key], description });
  }
}

/** Reads FLAG's outputs, in another stack, through one remote state of FLAG's state object. */
export function readFlagOutputs(scope: Construct, flagState: StateLocation): FlagOutputs {
  const state = new DataTerraformRemoteStateS3(scope, FLAG_REMOTE_STATE_ID, {
    bucket: flagState.bucket,
    key: flagState.key,
    region: flagState.region,
    encrypt: true,
    // FLAG's state of the workspace KARR runs in, as cdktf's own cross-stack references read it.
    workspace: '${terraform.workspace}',
    ...(flagState.lockTable ? { dynamodbTable: flagState.lockTable } : {}),
  });
  return {
    vpcId: state.getString(FLAG_OUTPUTS.vpcId.name),
    publicSubnetIds: state.getList(FLAG_OUTPUTS.publicSubnetIds.name),
    privateSubnetIds: state.getList(FLAG_OUTPUTS.privateSubnetIds.name),
    intraSubnetIds: state.getList(FLAG_OUTPUTS.intraSubnetIds.name),
  };
}
