/**
 * For suites that run `npm run verify` against a private emulator: the suite starts the emulator
 * itself, so that it outlives each run and the test can look for leftovers without verify's code.
 */
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import { emulatorEndpoint, ensureEmulator } from '../../bdda/engines/emulator';
import { workspace } from '../../bdda/support/workspace';
import { emulatedSuite } from './emulated-suite';

const REGION = 'us-east-1';

export interface VerifySuite {
  /** The scratch root, BDDA_ROOT of the suite. */
  readonly root: () => string;
  /** What the emulator still holds of an environment: VPCs, subnets, the cluster, roles and state objects. */
  readonly leftovers: (envPath: string) => Promise<string[]>;
}

/** The emulated suite of dev/dev1 (verify's template), with the emulator started before the first test. */
export function verifySuite(port: number): VerifySuite {
  const suite = emulatedSuite({ port, env: 'dev/dev1' });
  const common = { region: REGION, endpoint: emulatorEndpoint(port), credentials: { ...EMULATOR_CREDENTIALS } };
  beforeAll(() => ensureEmulator(workspace(suite.root).emulatorDir, { port }));

  async function leftovers(envPath: string): Promise<string[]> {
    const prefix = envPath.replace(/\//g, '-');
    const ec2 = new EC2Client(common);
    const eks = new EKSClient(common);
    const iam = new IAMClient(common);
    try {
      const tagged = [{ Name: 'tag:environment', Values: [envPath] }];
      return [
        ...((await ec2.send(new DescribeVpcsCommand({ Filters: tagged }))).Vpcs ?? []).map((v) => `vpc ${v.VpcId}`),
        ...((await ec2.send(new DescribeSubnetsCommand({ Filters: tagged }))).Subnets ?? []).map((s) => `subnet ${s.SubnetId}`),
        ...((await eks.send(new ListClustersCommand({}))).clusters ?? []).filter((c) => c === prefix),
        ...((await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []).map((r) => r.RoleName ?? '').filter((n) => n.startsWith(`${prefix}-`)),
        ...(await suite.backend.listKeys(`${envPath}/`)),
      ];
    } finally {
      [ec2, eks, iam].forEach((c) => c.destroy());
    }
  }

  return { root: () => suite.root, leftovers };
}

/** The throwaway environment verify names in its output, and its scratch folder. */
export function throwawayOf(logs: readonly string[]): { envPath: string; scratch: string } {
  const m = logs.join('\n').match(/^verify: throwaway environment (dev\/verify-[a-z0-9]+) \(config of dev\/dev1\) in (\S+)$/m);
  if (!m) throw new Error(`verify named no throwaway environment:\n${logs.join('\n')}`);
  return { envPath: m[1], scratch: m[2] };
}

/** verify's result line of one phase (plan, apply, idempotent, smoke, destroy, leftovers). */
export function phaseLine(logs: readonly string[], phase: string): string | undefined {
  return logs.find((l) => l.startsWith(`verify: ${phase.padEnd(11)} `));
}
