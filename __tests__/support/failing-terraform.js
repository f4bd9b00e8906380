#!/usr/bin/env node
/**
 * A terraform (TERRAFORM_BINARY) that runs the real one (REAL_TERRAFORM, default `terraform`)
 * for everything except `apply` in a working directory ending in FAIL_TF_APPLY_IN (e.g.
 * `stacks/karr`), which fails at once as a refused apply would: for tests of a failed apply. With
 * FAIL_TF_PLAN_IN, `plan` fails the same way in a directory ending so (e.g. `stacks/karr.preview`,
 * where a preview is planned), as a provider refusing a placeholder would.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const failIn = process.env.FAIL_TF_APPLY_IN;
if (args[0] === 'apply' && failIn && process.cwd().split(path.sep).join('/').endsWith(failIn)) {
  process.stderr.write(`Error: creating EKS Cluster: AccessDeniedException: made to fail by the test (FAIL_TF_APPLY_IN=${failIn})\n`);
  process.exit(1);
}
const planFailIn = process.env.FAIL_TF_PLAN_IN;
if (args[0] === 'plan' && planFailIn && process.cwd().split(path.sep).join('/').endsWith(planFailIn)) {
  process.stderr.write(`Error: invalid value for subnet_ids: made to fail by the test (FAIL_TF_PLAN_IN=${planFailIn})\n`);
  process.exit(1);
}
const result = spawnSync(process.env.REAL_TERRAFORM || 'terraform', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
