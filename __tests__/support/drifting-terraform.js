#!/usr/bin/env node
/**
 * A terraform (TERRAFORM_BINARY) that runs the real one (REAL_TERRAFORM, default `terraform`) and,
 * right after a successful `apply` in FLAG's working directory, detaches the managed policy
 * DRIFT_POLICY_ARN from the IAM role DRIFT_ROLE behind terraform's back, as a colleague in the
 * console might while FLAG applies. KARR's real plan then attaches it again, a change its preview
 * did not show: for the test of a preview that diverges.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { DetachRolePolicyCommand, IAMClient } = require('@aws-sdk/client-iam');

async function main() {
  const args = process.argv.slice(2);
  const result = spawnSync(process.env.REAL_TERRAFORM || 'terraform', args, { stdio: 'inherit' });
  const inFlag = process.cwd().split(path.sep).join('/').endsWith('stacks/flag');
  if (result.status === 0 && args[0] === 'apply' && inFlag && process.env.DRIFT_ROLE) {
    const iam = new IAMClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL });
    await iam.send(new DetachRolePolicyCommand({ RoleName: process.env.DRIFT_ROLE, PolicyArn: process.env.DRIFT_POLICY_ARN }));
    iam.destroy();
  }
  process.exit(result.status ?? 1);
}

main().catch((err) => {
  process.stderr.write(`drifting-terraform: ${err.message}\n`);
  process.exit(1);
});
