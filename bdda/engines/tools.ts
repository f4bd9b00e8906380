/**
 * Where the external tools are, each overridable by an environment variable, and the terraform
 * CLI configuration the project writes for itself (never into the user's home directory).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { writeFileAtomic } from '../support/fs-atomic';
import type { Program } from '../support/process';

export interface Tools {
  /** `TERRAFORM_BINARY`: terraform or tofu. @default terraform */
  readonly terraform: string;
  /** `BDDA_PROVIDER_MIRROR`: an unpacked filesystem mirror holding hashicorp/aws. @default /opt/tf-plugins */
  readonly providerMirror: string;
  /** `KUBECTL_BINARY`. @default kubectl */
  readonly kubectl: string;
  /** `MOTO_SERVER_BINARY`. @default moto_server */
  readonly motoServer: string;
  /** `AWS_CLI_BINARY`: the AWS CLI, which live kubeconfigs run for a token. @default aws */
  readonly aws: string;
}

export function tools(env: NodeJS.ProcessEnv = process.env): Tools {
  return {
    terraform: env.TERRAFORM_BINARY || 'terraform',
    providerMirror: env.BDDA_PROVIDER_MIRROR || '/opt/tf-plugins',
    kubectl: env.KUBECTL_BINARY || 'kubectl',
    motoServer: env.MOTO_SERVER_BINARY || 'moto_server',
    aws: env.AWS_CLI_BINARY || 'aws',
  };
}

/** For the tools bdda runs through support/process.ts: what to install, and the variable that chooses the binary. */
export const TOOL_PROGRAMS = {
  terraform: { name: 'terraform', install: 'terraform 1.11 (or OpenTofu)', variable: 'TERRAFORM_BINARY' },
  kubectl: { name: 'kubectl', install: 'kubectl 1.27 or later', variable: 'KUBECTL_BINARY' },
} as const satisfies Record<string, Omit<Program, 'binary'>>;

/** The provider every layer needs, as laid out in an unpacked mirror. */
const AWS_PROVIDER = { source: 'registry.terraform.io/hashicorp/aws', version: '5.100.0' };

/**
 * Writes `<buildDir>/terraform.rc`, which makes terraform install providers from the mirror
 * only, and returns its path for `TF_CLI_CONFIG_FILE`.
 */
export function writeTerraformCliConfig(buildDir: string, mirror: string): string {
  const providerDir = path.join(mirror, AWS_PROVIDER.source, AWS_PROVIDER.version);
  if (!fs.existsSync(providerDir)) {
    throw new BddaError(
      `The provider mirror has no ${AWS_PROVIDER.source} ${AWS_PROVIDER.version}: ${providerDir} does not exist. ` +
        `Set BDDA_PROVIDER_MIRROR to a folder laid out as terraform's unpacked filesystem mirror ` +
        `(e.g. one made by \`terraform providers mirror\`), which holds that provider.`,
    );
  }
  const file = path.join(buildDir, 'terraform.rc');
  const text = [
    '# Written by bdda: providers come from the filesystem mirror only; no registry is asked.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '}',
    '',
  ].join('\n');
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) writeFileAtomic(file, text);
  return file;
}
