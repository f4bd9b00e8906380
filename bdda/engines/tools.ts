/**
 * Where the external tools are, each overridable by an environment variable, and the terraform
 * CLI configuration the project writes for itself (never into the user's home directory): a
 * provider mirror where there is one, else the registry with a shared plugin cache.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { writeFileAtomic } from '../support/fs-atomic';
import type { Program } from '../support/process';

export interface Tools {
  /** `TERRAFORM_BINARY`: terraform or tofu. @default terraform */
  readonly terraform: string;
  /** Where terraform installs providers from. @default see `providerSource` */
  readonly providers: ProviderSource;
  /** `KUBECTL_BINARY`. @default kubectl */
  readonly kubectl: string;
  /** `MOTO_SERVER_BINARY`. @default moto_server */
  readonly motoServer: string;
  /** `AWS_CLI_BINARY`: the AWS CLI, which live kubeconfigs run for a token. @default aws */
  readonly aws: string;
}

/** Where terraform installs providers from: an unpacked filesystem mirror, or the registry through a plugin cache. */
export type ProviderSource = { readonly kind: 'mirror'; readonly path: string } | { readonly kind: 'registry'; readonly pluginCache: string };

/** The mirror used when `BDDA_PROVIDER_MIRROR` is not set, if the folder exists. */
const DEFAULT_MIRROR = '/opt/tf-plugins';

export function tools(env: NodeJS.ProcessEnv = process.env): Tools {
  return {
    terraform: env.TERRAFORM_BINARY || 'terraform',
    providers: providerSource(env),
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

/**
 * `BDDA_PROVIDER_MIRROR` when set, else /opt/tf-plugins when it exists, else the registry with one
 * plugin cache shared by every environment and checkout (`$XDG_CACHE_HOME/bdda/terraform-plugins`,
 * or `~/.cache/...`), so that each layer directory does not download the provider (700 MB) again.
 */
export function providerSource(env: NodeJS.ProcessEnv = process.env, exists: (dir: string) => boolean = fs.existsSync): ProviderSource {
  if (env.BDDA_PROVIDER_MIRROR) return { kind: 'mirror', path: env.BDDA_PROVIDER_MIRROR };
  if (exists(DEFAULT_MIRROR)) return { kind: 'mirror', path: DEFAULT_MIRROR };
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return { kind: 'registry', pluginCache: path.join(cacheHome, 'bdda', 'terraform-plugins') };
}

/** How a run's first progress line names where providers come from. */
export function describeProviderSource(source: ProviderSource): string {
  return source.kind === 'mirror'
    ? `providers from the filesystem mirror ${source.path}`
    : `providers from the registry, cached in ${source.pluginCache} (no mirror: BDDA_PROVIDER_MIRROR is not set and ${DEFAULT_MIRROR} does not exist)`;
}

/** The provider every layer needs, as laid out in an unpacked mirror. */
const AWS_PROVIDER = { source: 'registry.terraform.io/hashicorp/aws', version: '5.100.0' };

/**
 * Writes `<buildDir>/terraform.rc`, which makes terraform install providers from the mirror only,
 * or from the registry into the shared plugin cache, and returns its path for `TF_CLI_CONFIG_FILE`.
 */
export function writeTerraformCliConfig(buildDir: string, source: ProviderSource): string {
  const file = path.join(buildDir, 'terraform.rc');
  const text = source.kind === 'mirror' ? mirrorConfig(source.path) : registryConfig(source.pluginCache);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) writeFileAtomic(file, text);
  return file;
}

function mirrorConfig(mirror: string): string {
  const providerDir = path.join(mirror, AWS_PROVIDER.source, AWS_PROVIDER.version);
  if (!fs.existsSync(providerDir)) {
    throw new BddaError(
      `The provider mirror has no ${AWS_PROVIDER.source} ${AWS_PROVIDER.version}: ${providerDir} does not exist. ` +
        `Set BDDA_PROVIDER_MIRROR to a folder laid out as terraform's unpacked filesystem mirror ` +
        `(e.g. one made by \`terraform providers mirror\`), which holds that provider.`,
    );
  }
  return [
    '# Written by bdda: providers come from the filesystem mirror only; no registry is asked.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '}',
    '',
  ].join('\n');
}

function registryConfig(pluginCache: string): string {
  // terraform ignores a plugin cache folder that does not exist.
  fs.mkdirSync(pluginCache, { recursive: true });
  return [
    '# Written by bdda: no provider mirror, so providers come from the registry, into one cache for every layer directory.',
    `plugin_cache_dir = ${JSON.stringify(pluginCache)}`,
    'provider_installation {',
    '  direct {}',
    '}',
    '',
  ].join('\n');
}
