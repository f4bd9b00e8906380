/**
 * `npm run versions`: compares the EKS version table (config/eks-versions.ts) with what AWS
 * publishes now, the newest build of each managed add-on for the minor (`DescribeAddonVersions`)
 * and the recommended EKS-optimized AMI release (the public SSM parameter of each minor), and
 * prints what is newer. It reads only public catalogue data, so credentials of any account do.
 */
import { DescribeAddonVersionsCommand, type DescribeAddonVersionsCommandOutput, EKSClient } from '@aws-sdk/client-eks';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { BddaError } from '../../config/errors';
import { EKS_MINORS, type EksAddonVersions, type EksMinor } from '../../config/eks-versions';
import { errName } from '../state/aws-errors';

/** The EKS add-on name of each column of the table. */
const ADDON_NAMES: Readonly<Record<keyof EksAddonVersions, string>> = {
  vpcCni: 'vpc-cni',
  coredns: 'coredns',
  kubeProxy: 'kube-proxy',
  podIdentityAgent: 'eks-pod-identity-agent',
  ebsCsiDriver: 'aws-ebs-csi-driver',
};

/** Where SSM publishes the recommended release of each AMI type, under `/aws/service/eks/optimized-ami/<minor>/`. */
const AMI_PARAMETER_PATHS: Readonly<Record<string, string>> = {
  AL2023_x86_64_STANDARD: 'amazon-linux-2023/x86_64/standard',
  AL2023_ARM_64_STANDARD: 'amazon-linux-2023/arm64/standard',
};

/** The AWS calls the comparison makes; only `send` is used. */
export interface VersionSources {
  readonly eks: Pick<EKSClient, 'send'>;
  readonly ssm: Pick<SSMClient, 'send'>;
}

export interface VersionsCommandOptions {
  /** The region asked; the catalogue is the same in every commercial region. */
  readonly region: string;
}

/** `v1.21.1-eksbuild.3` or `1.35.0-20260120` as numbers to compare; undefined when it is neither. */
function versionKey(version: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-(?:eksbuild\.)?(\d+))?$/.exec(version);
  return m ? m.slice(1).map((part) => Number(part ?? 0)) : undefined;
}

/** True when `candidate` is a later version than `current`. */
function isNewer(candidate: string, current: string): boolean {
  const [a, b] = [versionKey(candidate), versionKey(current)];
  if (!a || !b) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

async function newestAddonVersion(eks: VersionSources['eks'], addonName: string, minor: string): Promise<string | undefined> {
  const versions: string[] = [];
  let nextToken: string | undefined;
  do {
    const out: DescribeAddonVersionsCommandOutput = await eks.send(new DescribeAddonVersionsCommand({ addonName, kubernetesVersion: minor, nextToken }));
    for (const addon of out.addons ?? []) for (const v of addon.addonVersions ?? []) if (v.addonVersion) versions.push(v.addonVersion);
    nextToken = out.nextToken;
  } while (nextToken);
  return versions.reduce<string | undefined>((best, v) => (best === undefined || isNewer(v, best) ? v : best), undefined);
}

/**
 * One line per version AWS publishes that is newer than the table's, for every minor with a row
 * of add-ons (`1.35 vpc-cni: v1.21.1-eksbuild.3 -> v1.21.2-eksbuild.1`).
 */
export async function newerVersions(sources: VersionSources, table: Readonly<Record<string, EksMinor>> = EKS_MINORS): Promise<string[]> {
  const lines: string[] = [];
  for (const [minor, row] of Object.entries(table)) {
    if (row.addons) {
      for (const [key, addonName] of Object.entries(ADDON_NAMES) as Array<[keyof EksAddonVersions, string]>) {
        const newest = await newestAddonVersion(sources.eks, addonName, minor);
        if (newest && isNewer(newest, row.addons[key])) lines.push(`${minor} ${addonName}: ${row.addons[key]} -> ${newest}`);
      }
    }
    if (row.nodeAmi) {
      const segment = AMI_PARAMETER_PATHS[row.nodeAmi.amiType];
      if (!segment) {
        lines.push(`${minor} node AMI: no SSM parameter is known for ami_type ${row.nodeAmi.amiType}; check its release by hand`);
        continue;
      }
      const name = `/aws/service/eks/optimized-ami/${minor}/${segment}/recommended/release_version`;
      const release = (await sources.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
      if (release && isNewer(release, row.nodeAmi.releaseVersion)) {
        lines.push(`${minor} node AMI (${row.nodeAmi.amiType}): ${row.nodeAmi.releaseVersion} -> ${release}`);
      }
    }
  }
  return lines;
}

function credentialsMissing(cause: unknown): BddaError {
  const error = new BddaError(
    'npm run versions asks AWS for the newest EKS add-on builds (eks:DescribeAddonVersions) and AMI releases (ssm:GetParameter on the public ' +
      '/aws/service/eks/optimized-ami/ parameters), and found no AWS credentials. Credentials of any account will do: log in (e.g. ' +
      '`aws sso login --profile <profile>` and `export AWS_PROFILE=<profile>`) or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run it again.',
  );
  error.cause = cause;
  return error;
}

export async function versionsCommand(opts: VersionsCommandOptions): Promise<void> {
  const credentials = fromNodeProviderChain();
  try {
    await credentials();
  } catch (err) {
    throw credentialsMissing(err);
  }
  const common = { region: opts.region, credentials, maxAttempts: 3 };
  const eks = new EKSClient(common);
  const ssm = new SSMClient(common);
  try {
    const lines = await newerVersions({ eks, ssm });
    if (lines.length === 0) {
      console.log('The EKS version table (config/eks-versions.ts) has the newest add-on builds and node AMI releases AWS publishes.');
      return;
    }
    console.log('Newer than the EKS version table (config/eks-versions.ts):');
    for (const line of lines) console.log(`  ${line}`);
    console.log('Raise them in the table, then plan: node groups roll onto a new AMI release, add-ons update in place.');
  } catch (err) {
    if (errName(err) === 'CredentialsProviderError') throw credentialsMissing(err);
    throw err;
  } finally {
    eks.destroy();
    ssm.destroy();
  }
}
