/**
 * `npm run adopt`: takes orphans (bdda/state/orphans.ts) into the state through terraform `import`
 * blocks, written to the environment's `imports.json` (bdda/state/adoptions.ts), which is committed
 * and reviewed with the diff; it holds until the apply that imports them. The next plan shows them
 * as "will be imported" and goes through the normal review. Orphans that match no address in the
 * code (a second VPC from a later run) can be deleted after confirmation.
 *
 * An orphan matches the address of its type whose `Name` tag (or `name`) it carries. When the
 * same name is found twice, the one in the environment's VPC wins: the VPC in the state, or
 * else the orphan VPC holding most of the other orphans.
 */
import {
  DeleteFlowLogsCommand,
  DeleteInternetGatewayCommand,
  DeleteLaunchTemplateCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeFlowLogsCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DetachInternetGatewayCommand,
  type EC2Client,
  ReleaseAddressCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import * as path from 'node:path';
import { EMULATOR_CREDENTIALS } from '../engines/aws-env';
import type { Environment } from '../../config/load';
import { LABEL, TERRAFORM_LAYERS, type TerraformLayer, terraformDirs } from '../layers/list';
import { withContext } from '../workflow/context';
import { BddaError } from '../../config/errors';
import { confirm, type ConfirmOptions, requireYesOffTerminal } from '../support/terminal';
import { adoptCommand, describeOrphan, findOrphans, type LayerCode, type LayerState } from '../state/orphans';
import { IMPORTS_FILE, type ImportBlock, writeLayerImports } from '../state/adoptions';
import { AwsClients, type Orphan } from '../state/orphan-lookups';
import { displayPath, type Workspace } from '../support/workspace';

/** The terraform types adopt imports, with the import id of an orphan (the found id, for all of these). */
const IMPORTABLE_TYPES: ReadonlySet<string> = new Set([
  'aws_vpc',
  'aws_subnet',
  'aws_route_table',
  'aws_internet_gateway',
  'aws_nat_gateway',
  'aws_eip',
  'aws_vpc_endpoint',
  'aws_flow_log',
  'aws_security_group',
  'aws_launch_template',
  'aws_cloudwatch_log_group',
  'aws_iam_role',
  'aws_iam_openid_connect_provider',
  'aws_kms_key',
  'aws_eks_cluster',
  'aws_eks_node_group',
]);

/** Deletion order: dependents first, the VPC after everything in it. */
const DELETE_ORDER = [
  'aws_eks_node_group',
  'aws_flow_log',
  'aws_vpc_endpoint',
  'aws_nat_gateway',
  'aws_eip',
  'aws_internet_gateway',
  'aws_subnet',
  'aws_route_table',
  'aws_security_group',
  'aws_vpc',
  'aws_launch_template',
  'aws_cloudwatch_log_group',
  'aws_iam_role',
];

interface Match {
  readonly address: string;
  readonly orphan: Orphan;
}

export interface MatchResult {
  readonly matches: readonly Match[];
  /** Orphans of an importable type that no free address of the code takes. */
  readonly unmatched: readonly Orphan[];
  /** Orphans of a type adopt has no import rule for. */
  readonly unsupported: readonly Orphan[];
}

/**
 * Matches a layer's orphans to the addresses of its code that the state lacks. `vpcOf` gives the
 * VPC of each VPC-scoped orphan (a VPC's own id for a VPC); `homeVpc` the VPC already in a state.
 */
export function matchOrphans(
  orphans: readonly Orphan[],
  code: LayerCode,
  state: LayerState,
  vpcOf: ReadonlyMap<string, string> = new Map(),
  homeVpc?: string,
): MatchResult {
  const unsupported = orphans.filter((o) => !IMPORTABLE_TYPES.has(o.type));
  const candidates = (o: Orphan): string[] =>
    Object.entries(code.resource?.[o.type] ?? {})
      .filter(([name, r]) => !state.addresses.has(`${o.type}.${name}`) && ((o.name !== undefined && r.tags?.Name === o.name) || r.name === o.id))
      .map(([name]) => `${o.type}.${name}`);
  const importable = orphans.filter((o) => IMPORTABLE_TYPES.has(o.type));

  // Without a VPC in the state, the orphan VPC that matches and holds most orphans is the environment's.
  let home = homeVpc;
  if (!home) {
    const members = (vpc: string) => importable.filter((o) => vpcOf.get(o.id) === vpc).length;
    home = importable
      .filter((o) => o.type === 'aws_vpc' && candidates(o).length > 0)
      .sort((a, b) => members(b.id) - members(a.id) || a.id.localeCompare(b.id))[0]?.id;
  }
  const eligible = (o: Orphan) => !home || !vpcOf.has(o.id) || vpcOf.get(o.id) === home;

  const taken = new Set<string>();
  const matches: Match[] = [];
  // Orphans known to sit in the home VPC choose first, then by id, so the outcome is stable.
  const ordered = importable.filter(eligible).sort((a, b) => Number(vpcOf.has(b.id)) - Number(vpcOf.has(a.id)) || a.id.localeCompare(b.id));
  for (const orphan of ordered) {
    const address = candidates(orphan).find((a) => !taken.has(a));
    if (!address) continue;
    taken.add(address);
    matches.push({ address, orphan });
  }
  const matched = new Set(matches.map((m) => m.orphan.arn));
  matches.sort((a, b) => a.address.localeCompare(b.address));
  return { matches, unmatched: importable.filter((o) => !matched.has(o.arn)), unsupported };
}

/** The VPC of each VPC-scoped orphan, and of the EIP each orphan NAT gateway holds: describe calls for orphans only. */
async function vpcsOf(ec2: EC2Client, orphans: readonly Orphan[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = (type: string) => orphans.filter((o) => o.type === type).map((o) => o.id);
  for (const id of ids('aws_vpc')) out.set(id, id);
  const subnets = ids('aws_subnet');
  if (subnets.length) for (const s of (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnets }))).Subnets ?? []) set(out, s.SubnetId, s.VpcId);
  const tables = ids('aws_route_table');
  if (tables.length)
    for (const t of (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: tables }))).RouteTables ?? []) set(out, t.RouteTableId, t.VpcId);
  const igws = ids('aws_internet_gateway');
  if (igws.length) {
    for (const g of (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: igws }))).InternetGateways ?? [])
      set(out, g.InternetGatewayId, g.Attachments?.[0]?.VpcId);
  }
  const nats = ids('aws_nat_gateway');
  if (nats.length) {
    for (const n of (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: nats }))).NatGateways ?? []) {
      set(out, n.NatGatewayId, n.VpcId);
      for (const a of n.NatGatewayAddresses ?? []) set(out, a.AllocationId, n.VpcId);
    }
  }
  const endpoints = ids('aws_vpc_endpoint');
  if (endpoints.length)
    for (const e of (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: endpoints }))).VpcEndpoints ?? []) set(out, e.VpcEndpointId, e.VpcId);
  const flowLogs = ids('aws_flow_log');
  if (flowLogs.length)
    for (const f of (await ec2.send(new DescribeFlowLogsCommand({ FlowLogIds: flowLogs }))).FlowLogs ?? []) set(out, f.FlowLogId, f.ResourceId);
  return out;
}

function set(map: Map<string, string>, key: string | undefined, value: string | undefined): void {
  if (key && value) map.set(key, value);
}

/** `${aws_route_table.public-route-table.id}` → `aws_route_table.public-route-table`. */
function referencedAddress(value: unknown): string | undefined {
  return typeof value === 'string' ? value.match(/^\$\{(aws_[a-z0-9_]+\.[^.}]+)\.id\}$/)?.[1] : undefined;
}

/**
 * Routes and route table associations carry no tags, yet exist once their table does; terraform
 * would fail creating them again. They are imported when the live table has them.
 */
async function childImports(ec2: EC2Client, code: LayerCode, state: LayerState, matches: readonly Match[]): Promise<ImportBlock[]> {
  const idOf = new Map(state.idOf);
  for (const m of matches) idOf.set(m.address, m.orphan.id);
  const resolve = (v: unknown) => {
    const address = referencedAddress(v);
    return address ? idOf.get(address) : undefined;
  };
  const wanted: Array<{ to: string; table: string; cidr?: string; subnet?: string }> = [];
  for (const [name, r] of Object.entries(code.resource?.aws_route ?? {})) {
    const table = resolve(r.route_table_id);
    if (table && typeof r.destination_cidr_block === 'string' && !state.addresses.has(`aws_route.${name}`))
      wanted.push({ to: `aws_route.${name}`, table, cidr: r.destination_cidr_block });
  }
  for (const [name, r] of Object.entries(code.resource?.aws_route_table_association ?? {})) {
    const table = resolve(r.route_table_id);
    const subnet = resolve(r.subnet_id);
    if (table && subnet && !state.addresses.has(`aws_route_table_association.${name}`))
      wanted.push({ to: `aws_route_table_association.${name}`, table, subnet });
  }
  if (wanted.length === 0) return [];
  const tables = new Map<string, RouteTable>();
  const ids = [...new Set(wanted.map((w) => w.table))];
  for (const t of (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: ids }] }))).RouteTables ?? []) {
    if (t.RouteTableId) tables.set(t.RouteTableId, t);
  }
  const blocks: ImportBlock[] = [];
  for (const w of wanted) {
    const table = tables.get(w.table);
    if (w.cidr && table?.Routes?.some((r) => r.DestinationCidrBlock === w.cidr && r.Origin !== 'CreateRouteTable'))
      blocks.push({ to: w.to, id: `${w.table}_${w.cidr}` });
    if (w.subnet && table?.Associations?.some((a) => a.SubnetId === w.subnet)) blocks.push({ to: w.to, id: `${w.subnet}/${w.table}` });
  }
  return blocks;
}

export interface AdoptOptions extends ConfirmOptions {
  /** Only this layer. @default both terraform layers */
  readonly layer?: TerraformLayer;
  /** Delete the orphans that match no address, after confirmation. */
  readonly deleteUnmatched?: boolean;
}

export async function adoptEnvironment(ws: Workspace, env: Environment, opts: AdoptOptions, log: (line: string) => void = console.log): Promise<void> {
  const progress = { step: () => undefined, warn: () => undefined, passthrough: () => undefined };
  await withContext(ws, env, progress, undefined, async (ctx) => {
    const dirs = terraformDirs(ctx.synth);
    const clients = new AwsClients(env, ctx.target.terraformEnv);
    try {
      const report = await findOrphans(clients, ctx.target.backend, env, dirs);
      const layers = opts.layer ? [opts.layer] : TERRAFORM_LAYERS;
      // Everything outside the state is matched afresh, pending imports included, so that a
      // second run of adopt cannot hand an address to a duplicate.
      const orphans = [...report.orphans, ...report.adopting].filter((o) => layers.includes(o.layer));
      if (report.orphans.every((o) => !layers.includes(o.layer))) {
        log(
          `${env.path}: no resources outside the state${report.adopting.length ? ` other than the ${report.adopting.length} the next apply imports` : ''}. Nothing to adopt.`,
        );
        return;
      }
      const vpcOf = await vpcsOf(clients.ec2, orphans);
      const homeVpc = report.states.flag.idOf.get(Object.keys(report.codes.flag.resource?.aws_vpc ?? {}).map((n) => `aws_vpc.${n}`)[0] ?? '');
      const unmatched: Orphan[] = [];
      const unsupported: Orphan[] = [];
      for (const layer of layers) {
        const mine = orphans.filter((o) => o.layer === layer);
        if (mine.length === 0) continue;
        const result = matchOrphans(mine, report.codes[layer], report.states[layer], vpcOf, homeVpc);
        unmatched.push(...result.unmatched);
        unsupported.push(...result.unsupported);
        if (result.matches.length === 0) continue;
        const children = await childImports(clients.ec2, report.codes[layer], report.states[layer], result.matches);
        const blocks = dedupe([...result.matches.map((m) => ({ to: m.address, id: m.orphan.id })), ...children]);
        writeLayerImports(env.dir, layer, blocks, dirs[layer]);
        log(`${LABEL[layer]}: wrote ${blocks.length} import block(s) to ${displayPath(path.join(env.dir, IMPORTS_FILE))}:`);
        for (const m of result.matches) log(`  ${m.address} <- ${describeOrphan(m.orphan)}`);
        for (const c of children) log(`  ${c.to} <- ${c.id}`);
      }
      if (unsupported.length) {
        log(
          `No match strategy for ${[...new Set(unsupported.map((o) => o.type))].join(', ')}: import or delete these by hand: ${unsupported.map(describeOrphan).join(', ')}.`,
        );
      }
      if (unmatched.length) {
        log(
          `${unmatched.length} resource(s) match no address in the code (a duplicate from a later run, or removed from the code): ${unmatched.map(describeOrphan).join(', ')}.`,
        );
        if (opts.deleteUnmatched) {
          await confirmDeletion(env, unmatched, opts);
          await deleteOrphans(clients, env, ctx.target.terraformEnv, unmatched, log);
          log(`Deleted ${unmatched.length} resource(s).`);
        } else {
          log(
            `Delete them with: ${adoptCommand(env)}${opts.layer ? ` --layer ${opts.layer}` : ''} --delete-unmatched (asks to confirm; --yes off a terminal).`,
          );
        }
      }
      log(
        `Next: npm run plan -- --env ${env.path} (the plan shows the adopted resources as "will be imported"), review it with ${IMPORTS_FILE} ` +
          `(commit both on a branch for CI), then npm run apply -- --env ${env.path}.`,
      );
    } finally {
      clients.destroy();
    }
  });
}

function dedupe(blocks: readonly ImportBlock[]): ImportBlock[] {
  const byAddress = new Map<string, ImportBlock>();
  for (const b of blocks) byAddress.set(b.to, b);
  return [...byAddress.values()];
}

async function confirmDeletion(env: Environment, orphans: readonly Orphan[], opts: AdoptOptions): Promise<void> {
  if (opts.yes) return;
  requireYesOffTerminal(
    opts,
    `Deleting ${orphans.length} resource(s) of ${env.path}`,
    `Nothing was deleted; run \`${adoptCommand(env)} --delete-unmatched --yes\` to delete them.`,
  );
  if (!(await confirm(`Delete ${orphans.map(describeOrphan).join(', ')}? Type ${env.path} to delete them: `, env.path))) {
    throw new BddaError(`Deletion was not confirmed. Nothing was deleted.`);
  }
}

/** Deletes orphans with the AWS SDK, dependents before what they sit in. */
async function deleteOrphans(
  clients: AwsClients,
  env: Environment,
  terraformEnv: Readonly<Record<string, string>>,
  orphans: readonly Orphan[],
  log: (line: string) => void,
): Promise<void> {
  const endpoint = env.config.emulated ? terraformEnv.AWS_ENDPOINT_URL : undefined;
  const logs = new CloudWatchLogsClient({ region: env.config.aws.region, endpoint, credentials: endpoint ? { ...EMULATOR_CREDENTIALS } : undefined });
  const { ec2, iam } = clients;
  try {
    const ordered = [...orphans].sort((a, b) => rank(a.type) - rank(b.type));
    for (const o of ordered) {
      log(`  deleting ${describeOrphan(o)}`);
      switch (o.type) {
        case 'aws_flow_log':
          await ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: [o.id] }));
          break;
        case 'aws_vpc_endpoint':
          await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [o.id] }));
          break;
        case 'aws_nat_gateway':
          await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: o.id }));
          await waitFor(async () => {
            const state = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [o.id] }))).NatGateways?.[0]?.State;
            return state === undefined || state === 'deleted';
          }, `NAT gateway ${o.id} to be deleted`);
          break;
        case 'aws_eip':
          await ec2.send(new ReleaseAddressCommand({ AllocationId: o.id }));
          break;
        case 'aws_internet_gateway': {
          const igw = (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [o.id] }))).InternetGateways?.[0];
          for (const a of igw?.Attachments ?? []) if (a.VpcId) await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: o.id, VpcId: a.VpcId }));
          await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: o.id }));
          break;
        }
        case 'aws_subnet':
          await ec2.send(new DeleteSubnetCommand({ SubnetId: o.id }));
          break;
        case 'aws_route_table':
          await ec2.send(new DeleteRouteTableCommand({ RouteTableId: o.id }));
          break;
        case 'aws_security_group':
          await ec2.send(new DeleteSecurityGroupCommand({ GroupId: o.id }));
          break;
        case 'aws_vpc':
          await ec2.send(new DeleteVpcCommand({ VpcId: o.id }));
          break;
        case 'aws_launch_template':
          await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: o.id }));
          break;
        case 'aws_cloudwatch_log_group':
          await logs.send(new DeleteLogGroupCommand({ logGroupName: o.id }));
          break;
        case 'aws_iam_role': {
          for (const name of (await iam.send(new ListRolePoliciesCommand({ RoleName: o.id }))).PolicyNames ?? []) {
            await iam.send(new DeleteRolePolicyCommand({ RoleName: o.id, PolicyName: name }));
          }
          for (const p of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: o.id }))).AttachedPolicies ?? []) {
            await iam.send(new DetachRolePolicyCommand({ RoleName: o.id, PolicyArn: p.PolicyArn }));
          }
          await iam.send(new DeleteRoleCommand({ RoleName: o.id }));
          break;
        }
        default:
          throw new BddaError(
            `adopt cannot delete ${describeOrphan(o)}: no delete strategy for ${o.type}. Delete it in the AWS console or CLI, then run ${adoptCommand(env)} again.`,
          );
      }
    }
  } finally {
    logs.destroy();
  }
}

function rank(type: string): number {
  const i = DELETE_ORDER.indexOf(type);
  return i < 0 ? DELETE_ORDER.length : i;
}

async function waitFor(done: () => Promise<boolean>, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new BddaError(`Timed out waiting for ${what}. Run the command again in a while.`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
