/**
 * `npm run versions`: the comparison of the EKS version table with what AWS publishes, on fake
 * EKS and SSM clients, and the one paragraph it prints without credentials.
 */
import { DescribeAddonVersionsCommand } from '@aws-sdk/client-eks';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { newerVersions, type VersionSources } from '../bdda/commands/versions';
import type { EksMinor } from '../config/eks-versions';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';

const ROW: EksMinor = {
  endOfStandardSupport: '2027-03-27',
  endOfExtendedSupport: '2028-03-27',
  addons: {
    vpcCni: 'v1.21.1-eksbuild.3',
    coredns: 'v1.13.2-eksbuild.1',
    kubeProxy: 'v1.35.0-eksbuild.2',
    podIdentityAgent: 'v1.3.10-eksbuild.3',
    ebsCsiDriver: 'v1.57.1-eksbuild.1',
  },
  nodeAmi: { amiType: 'AL2023_x86_64_STANDARD', releaseVersion: '1.35.0-20260120' },
};

/** Fake clients answering from `published` (add-on name -> versions, split over two pages) and `ami`. */
function sources(published: Record<string, string[]>, ami: string): VersionSources & { asked: string[] } {
  const asked: string[] = [];
  const eks = {
    send: async (command: unknown) => {
      if (!(command instanceof DescribeAddonVersionsCommand)) throw new Error('unexpected EKS call');
      const { addonName, kubernetesVersion, nextToken } = command.input;
      asked.push(`eks ${addonName} ${kubernetesVersion} ${nextToken ?? ''}`.trim());
      const all = (published[addonName as string] ?? []).map((addonVersion) => ({ addonVersion }));
      const page = nextToken ? all.slice(1) : all.slice(0, 1);
      return { addons: [{ addonName, addonVersions: page }], ...(nextToken || all.length < 2 ? {} : { nextToken: 'page-2' }) };
    },
  };
  const ssm = {
    send: async (command: unknown) => {
      if (!(command instanceof GetParameterCommand)) throw new Error('unexpected SSM call');
      asked.push(`ssm ${command.input.Name}`);
      return { Parameter: { Value: ami } };
    },
  };
  return { eks: eks as unknown as VersionSources['eks'], ssm: ssm as unknown as VersionSources['ssm'], asked };
}

test('prints each add-on build and AMI release that is newer than the table, comparing versions as numbers across pages', async () => {
  const fake = sources(
    {
      'vpc-cni': ['v1.21.1-eksbuild.3', 'v1.21.10-eksbuild.1'],
      coredns: ['v1.13.2-eksbuild.1', 'v1.12.9-eksbuild.4'],
      'kube-proxy': ['v1.35.0-eksbuild.10', 'v1.35.0-eksbuild.2'],
      'eks-pod-identity-agent': ['v1.3.10-eksbuild.3'],
      'aws-ebs-csi-driver': ['v1.57.1-eksbuild.1'],
    },
    '1.35.2-20260415',
  );
  await expect(newerVersions(fake, { '1.35': ROW })).resolves.toEqual([
    '1.35 vpc-cni: v1.21.1-eksbuild.3 -> v1.21.10-eksbuild.1',
    '1.35 kube-proxy: v1.35.0-eksbuild.2 -> v1.35.0-eksbuild.10',
    '1.35 node AMI (AL2023_x86_64_STANDARD): 1.35.0-20260120 -> 1.35.2-20260415',
  ]);
  expect(fake.asked).toContain('eks vpc-cni 1.35 page-2');
  expect(fake.asked).toContain('ssm /aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version');
});

test('prints nothing when the table has the newest of everything, and skips minors without add-ons', async () => {
  const fake = sources({ 'vpc-cni': ['v1.21.1-eksbuild.3'], coredns: ['v1.13.2-eksbuild.1'] }, '1.35.0-20260120');
  await expect(newerVersions(fake, { '1.35': ROW, '1.29': { endOfStandardSupport: '2025-03-23', endOfExtendedSupport: '2026-03-23' } })).resolves.toEqual([]);
  expect(fake.asked.some((call) => call.includes('1.29'))).toBe(false);
});

describe('without AWS credentials', () => {
  const captured = captureConsole();
  const saved = { ...process.env };
  const cleared = ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'];
  const set = ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED'];
  beforeEach(() => {
    for (const name of cleared) delete process.env[name];
    process.env.AWS_CONFIG_FILE = '/nonexistent/bdda-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/bdda-credentials';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterEach(() => {
    for (const name of [...cleared, ...set]) restoreEnv(name, saved[name]);
  });

  test('says in one paragraph what it needs and exits 1', async () => {
    const code = await runCli(captured, 'versions');
    expect(code).toBe(1);
    expect(captured.errors).toHaveLength(1);
    expect(captured.errors[0]).toMatch(/^Error: npm run versions asks AWS .* found no AWS credentials\. Credentials of any account will do/);
    expect(captured.errors[0]).not.toMatch(/\n\s+at /);
  }, 60_000);
});
