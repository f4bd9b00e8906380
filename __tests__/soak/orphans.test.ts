/**
 * Resources a killed apply leaves outside the state (orphans): plan names them, apply refuses,
 * and `adopt` imports them (or deletes the ones that match nothing). The end-to-end tests kill
 * FLAG's apply outright (SIGKILL of the process group, terraform included) and then follow only
 * the commands the tool prints until a plan is clean; real terraform against a private emulator.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateSubnetCommand, CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { matchOrphans } from '../../bdda/commands/adopt';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import type { Orphan } from '../../bdda/state/orphan-lookups';
import { type LayerState, readLayerCode } from '../../bdda/state/orphans';
import { buildTerraformApp } from '../../bdda/workflow/synth-apps';
import { type CliProcess, killGroup, spawnCli } from '../support/apply-harness';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, removeScratch } from '../support/scratch';

jest.setTimeout(1_200_000);

const PORT = testEmulatorPort(25810);
const ENDPOINT = emulatorEndpoint(PORT);

let root: string;
let ec2: EC2Client;
const captured = captureConsole();
const children: CliProcess[] = [];
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT };
const savedTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');

beforeAll(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true, writable: true });
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: ENDPOINT, credentials: { ...EMULATOR_CREDENTIALS } });
});

afterAll(async () => {
  try {
    for (const proc of children) if (proc.child.exitCode === null && proc.child.signalCode === null) killGroup(proc, 'SIGKILL');
    ec2?.destroy();
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
    if (savedTty) Object.defineProperty(process.stdin, 'isTTY', savedTty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  }
});

const output = () => [...captured.logs, ...captured.errors].join('\n');

describe('matching orphans to the addresses of a synthesized FLAG (dev/dev2)', () => {
  const orphan = (type: string, id: string, name?: string): Orphan => ({ layer: 'flag', type, id, arn: `arn:test:${type}/${id}`, name });
  const emptyState: LayerState = { addresses: new Set(), ids: new Set(), idOf: new Map() };
  let code: ReturnType<typeof readLayerCode>;

  beforeAll(() => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-orphans-'));
    try {
      buildTerraformApp(loadEnvironment(root, 'dev2'), out).synth();
      code = readLayerCode(path.join(out, 'stacks', 'flag'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('each orphan goes to the address of its type and Name tag (or name); the duplicate VPC and what is in it match nothing', () => {
    const orphans = [
      orphan('aws_vpc', 'vpc-1', 'dev-dev2'),
      orphan('aws_vpc', 'vpc-2', 'dev-dev2'),
      orphan('aws_subnet', 'subnet-1', 'dev-dev2-public-us-east-1a'),
      orphan('aws_subnet', 'subnet-2', 'dev-dev2-public-us-east-1a'),
      orphan('aws_subnet', 'subnet-3', 'dev-dev2-private-us-east-1b'),
      orphan('aws_eip', 'eipalloc-1', 'dev-dev2-nat-us-east-1a'),
      orphan('aws_nat_gateway', 'nat-1', 'dev-dev2-nat-us-east-1a'),
      orphan('aws_route_table', 'rtb-1', 'dev-dev2-intra'),
      orphan('aws_cloudwatch_log_group', '/aws/vpc-flow-log/dev-dev2', 'dev-dev2-flow-logs'),
      orphan('aws_iam_role', 'dev-dev2-flow-logs', 'dev-dev2-flow-logs'),
      orphan('aws_ec2_transit_gateway', 'tgw-1', 'dev-dev2-tgw'),
    ];
    const vpcOf = new Map([
      ['vpc-1', 'vpc-1'],
      ['vpc-2', 'vpc-2'],
      ['subnet-1', 'vpc-1'],
      ['subnet-2', 'vpc-2'],
      ['subnet-3', 'vpc-1'],
      ['nat-1', 'vpc-1'],
      ['eipalloc-1', 'vpc-1'],
      ['rtb-1', 'vpc-1'],
    ]);
    const result = matchOrphans(orphans, code, emptyState, vpcOf);
    expect(Object.fromEntries(result.matches.map((m) => [m.address, m.orphan.id]))).toEqual({
      'aws_vpc.vpc': 'vpc-1',
      'aws_subnet.public-subnet-us-east-1a': 'subnet-1',
      'aws_subnet.private-subnet-us-east-1b': 'subnet-3',
      'aws_eip.nat-eip-us-east-1a': 'eipalloc-1',
      'aws_nat_gateway.nat-us-east-1a': 'nat-1',
      'aws_route_table.intra-route-table': 'rtb-1',
      'aws_cloudwatch_log_group.flow-log-group': '/aws/vpc-flow-log/dev-dev2',
      'aws_iam_role.flow-log-role': 'dev-dev2-flow-logs',
    });
    expect(result.unmatched.map((o) => o.id).sort()).toEqual(['subnet-2', 'vpc-2']);
    expect(result.unsupported.map((o) => o.type)).toEqual(['aws_ec2_transit_gateway']);
  });

  test('an address already in the state takes no orphan, and the VPC in the state decides between duplicates', () => {
    const state: LayerState = { addresses: new Set(['aws_vpc.vpc']), ids: new Set(['vpc-2']), idOf: new Map([['aws_vpc.vpc', 'vpc-2']]) };
    const orphans = [
      orphan('aws_vpc', 'vpc-1', 'dev-dev2'),
      orphan('aws_subnet', 'subnet-1', 'dev-dev2-intra-us-east-1a'),
      orphan('aws_subnet', 'subnet-2', 'dev-dev2-intra-us-east-1a'),
    ];
    const vpcOf = new Map([
      ['vpc-1', 'vpc-1'],
      ['subnet-1', 'vpc-1'],
      ['subnet-2', 'vpc-2'],
    ]);
    const result = matchOrphans(orphans, code, state, vpcOf, 'vpc-2');
    expect(result.matches.map((m) => [m.address, m.orphan.id])).toEqual([['aws_subnet.intra-subnet-us-east-1a', 'subnet-2']]);
    expect(result.unmatched.map((o) => o.id).sort()).toEqual(['subnet-1', 'vpc-1']);
  });
});

/** `npm run unlock|adopt -- <args>` printed by the tool, as arguments for the CLI. */
function printedCommand(text: string): string[] | undefined {
  const m = text.match(/npm run (unlock|adopt) -- (--env [\w/-]+(?: --[\w-]+)*)/);
  return m ? [m[1], ...m[2].split(' ')] : undefined;
}

/**
 * Follows the tool from a plan to a clean `plan --detailed-exitcode`: runs whatever unlock or
 * adopt command the last output names, and applies when a plan names none. Returns the commands run.
 */
async function recover(envName: string): Promise<string[]> {
  const ran: string[] = [];
  const transcript: string[] = [];
  let next: string[] = ['plan', '--env', envName, '--detailed-exitcode'];
  for (let step = 0; step < 20; step++) {
    ran.push(next.join(' '));
    const code = await runCli(captured, ...next);
    const text = output();
    transcript.push(`$ ${next.join(' ')} (exit ${code})\n${text.slice(-1500)}`);
    const printed = printedCommand(text);
    const wasPlan = next[0] === 'plan';
    if (printed && !(next[0] === printed[0] && next.join(' ') === printed.join(' '))) {
      next = printed;
      continue;
    }
    if (wasPlan && code === 0) return ran;
    if (wasPlan) {
      if (code !== 2) throw new Error(`plan exited ${code} and named no command to run:\n${text.slice(-3000)}`);
      next = ['apply', '--env', envName];
      continue;
    }
    if (code !== 0) throw new Error(`${next.join(' ')} exited ${code}:\n${text.slice(-3000)}`);
    next = ['plan', '--env', envName, '--detailed-exitcode'];
  }
  throw new Error(`no clean plan after 20 commands:\n${transcript.slice(0, 6).join('\n')}`);
}

async function vpcsOfEnvironment(envPath: string): Promise<string[]> {
  const out = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:environment', Values: [envPath] }] }));
  return (out.Vpcs ?? []).map((v) => v.VpcId as string);
}

describe.each([
  { envName: 'dev2', killAfter: /FLAG\s+applying[\s\S]*: Creation complete after/, duplicate: false },
  { envName: 'dev3', killAfter: /FLAG\s+applying[\s\S]*aws_nat_gateway\.\S+: Creating\.\.\./, duplicate: true },
])('FLAG of $envName killed (SIGKILL) during apply at $killAfter', ({ envName, killAfter, duplicate }) => {
  const envPath = `dev/${envName}`;

  test('the next plan names the resources outside the state and apply refuses, pointing at adopt', async () => {
    expect(await runCli(captured, 'plan', '--env', envName)).toBe(0);
    const apply = spawnCli(root, PORT, ['apply', '--env', envName]);
    children.push(apply);
    await apply.waitFor(killAfter, 300_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    killGroup(apply, 'SIGKILL');
    expect((await apply.exited).signal).toBe('SIGKILL');
    expect(await vpcsOfEnvironment(envPath)).toHaveLength(1);

    if (duplicate) {
      // What a later run used to leave: a second VPC of the same name, with a subnet in it.
      const tags = [
        {
          ResourceType: 'vpc' as const,
          Tags: [
            { Key: 'environment', Value: envPath },
            { Key: 'layer', Value: 'flag' },
            { Key: 'Name', Value: `dev-${envName}` },
          ],
        },
      ];
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16', TagSpecifications: tags }))).Vpc?.VpcId as string;
      await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpc,
          CidrBlock: '10.99.1.0/24',
          AvailabilityZone: 'us-east-1a',
          TagSpecifications: [
            {
              ResourceType: 'subnet',
              Tags: [
                { Key: 'environment', Value: envPath },
                { Key: 'layer', Value: 'flag' },
                { Key: 'Name', Value: `dev-${envName}-intra-us-east-1a` },
              ],
            },
          ],
        }),
      );
      expect(await vpcsOfEnvironment(envPath)).toHaveLength(2);
    }

    await runCli(captured, 'unlock', '--env', envName, '--yes');
    await runCli(captured, 'plan', '--env', envName);
    expect(output()).toMatch(new RegExp(`WARNING .*carry the tags of ${envPath} but are not in FLAG's terraform state`));
    expect(output()).toMatch(/aws_vpc vpc-\w+ \(dev-dev\d\)/);
    expect(output()).toContain(`npm run adopt -- --env ${envPath}`);

    expect(await runCli(captured, 'apply', '--env', envName)).toBe(1);
    expect(output()).toContain(`npm run adopt -- --env ${envPath}`);
    expect(output()).toContain('Nothing was applied');
  });

  test('following only the printed commands reaches a clean plan with exactly one VPC', async () => {
    const ran = await recover(envName);
    expect(ran.some((c) => c.startsWith('adopt'))).toBe(true);
    // Only a duplicate that matches no address needs deleting.
    expect(ran.some((c) => c.includes('--delete-unmatched'))).toBe(duplicate);
    expect(await vpcsOfEnvironment(envPath)).toHaveLength(1);
    expect(await runCli(captured, 'plan', '--env', envName, '--detailed-exitcode')).toBe(0);
    // The applied imports left the environment's folder and the working directory.
    expect(fs.existsSync(path.join(root, 'environments', envPath, 'imports.json'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'build', envPath, 'stacks', 'flag', 'bdda_adopt_imports.tf.json'))).toBe(false);
  });
});
