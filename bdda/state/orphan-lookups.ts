/**
 * The AWS side of the orphan search (bdda/state/orphans.ts): SDK clients aimed where terraform is
 * aimed, the one tagging call for the environment, and the calls for the kinds moto's tagging API
 * leaves out. Loading the EC2 client alone takes about half a second, so orphans.ts loads this
 * module only when a search runs, and plan starts its terraform meanwhile.
 */
import { DescribeAddressesCommand, DescribeLaunchTemplatesCommand, DescribeVpcEndpointsCommand, EC2Client, type Filter } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, type ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Environment } from '../../config/load';
import { ENVIRONMENT_TAG } from '../../config/tags';
import { EMULATOR_CREDENTIALS } from '../engines/aws-env';
import { TERRAFORM_LAYERS, type TerraformLayer } from '../layers/list';

/** A resource that carries the environment's tags but is not in its layer's state. */
export interface Orphan {
  readonly layer: TerraformLayer;
  /** Its terraform resource type, e.g. `aws_vpc`. */
  readonly type: string;
  /** The id `terraform import` takes for that type (an IAM role's name, an EIP's allocation id...). */
  readonly id: string;
  readonly arn: string;
  /** Its `Name` tag. */
  readonly name?: string;
}

/**
 * How an ARN's resource kind maps to a terraform type, and the import id taken from the ARN's
 * resource part. Kinds are those of real AWS, plus moto's spelling where it differs.
 */
interface KindRule {
  readonly type: string;
  readonly importId: (resource: string, arn: string) => string;
}
const lastSegment = (resource: string) => resource.slice(resource.lastIndexOf('/') + 1);
const KINDS: Readonly<Record<string, KindRule>> = {
  'ec2:vpc': { type: 'aws_vpc', importId: lastSegment },
  'ec2:subnet': { type: 'aws_subnet', importId: lastSegment },
  'ec2:route-table': { type: 'aws_route_table', importId: lastSegment },
  'ec2:internet-gateway': { type: 'aws_internet_gateway', importId: lastSegment },
  'ec2:natgateway': { type: 'aws_nat_gateway', importId: lastSegment },
  'ec2:elastic-ip': { type: 'aws_eip', importId: lastSegment },
  'ec2:vpc-endpoint': { type: 'aws_vpc_endpoint', importId: lastSegment },
  'ec2:vpc-flow-log': { type: 'aws_flow_log', importId: lastSegment },
  'ec2:flow-logs': { type: 'aws_flow_log', importId: lastSegment },
  'ec2:security-group': { type: 'aws_security_group', importId: lastSegment },
  'ec2:launch-template': { type: 'aws_launch_template', importId: lastSegment },
  'logs:log-group': { type: 'aws_cloudwatch_log_group', importId: (r) => r.slice('log-group:'.length).replace(/:\*$/, '') },
  'iam:role': { type: 'aws_iam_role', importId: lastSegment },
  'iam:oidc-provider': { type: 'aws_iam_openid_connect_provider', importId: (_r, arn) => arn },
  // No 'kms:key': a destroyed key stays, tagged, for its 7 to 30 days of pending deletion, and
  // telling those apart costs a DescribeKey per key. KARR's key is not looked for.
  'eks:cluster': { type: 'aws_eks_cluster', importId: lastSegment },
  // arn:...:nodegroup/<cluster>/<nodegroup>/<uuid>; terraform takes `<cluster>:<nodegroup>`.
  'eks:nodegroup': { type: 'aws_eks_node_group', importId: (r) => r.split('/').slice(1, 3).join(':') },
};

/** The terraform types whose orphans can be found (and so imported or deleted). */
export const DETECTABLE_TYPES: ReadonlySet<string> = new Set(Object.values(KINDS).map((k) => k.type));

/** `ec2:vpc` and the resource part `vpc/vpc-0abc` of an ARN. */
function parseArn(arn: string): { kind: string; resource: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const service = parts[2];
  const resource = parts.slice(5).join(':');
  const kind = resource.split(/[/:]/)[0];
  return { kind: `${service}:${kind}`, resource };
}

/** A look-up call that failed, named as IAM names its action, e.g. `ec2:DescribeAddresses in eu-west-1`. */
export class LookupFailure extends Error {
  constructor(
    /** The call, e.g. `ec2:DescribeAddresses in eu-west-1`. */
    readonly call: string,
    cause: unknown,
  ) {
    super(`${call} failed: ${(cause instanceof Error ? cause.message : String(cause)).split('\n')[0]}`, { cause });
    this.name = 'LookupFailure';
  }
}

/** `promise`, failing with a {@link LookupFailure} that names `call`. */
function naming<T>(call: string, promise: Promise<T>): Promise<T> {
  return promise.catch((err: unknown) => {
    throw new LookupFailure(call, err);
  });
}

/** AWS SDK clients aimed where the environment's terraform is aimed. */
export class AwsClients {
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;

  constructor(env: Environment, terraformEnv: Readonly<Record<string, string>>) {
    const endpoint = env.config.emulated ? terraformEnv.AWS_ENDPOINT_URL : undefined;
    const common = { region: env.config.aws.region, endpoint, credentials: endpoint ? { ...EMULATOR_CREDENTIALS } : undefined, maxAttempts: 3 };
    this.ec2 = new EC2Client(common);
    this.iam = new IAMClient(common);
    this.tagging = new ResourceGroupsTaggingAPIClient(common);
  }

  destroy(): void {
    this.ec2.destroy();
    this.iam.destroy();
    this.tagging.destroy();
  }
}

/** Every resource of the environment that carries its tags, by layer, whatever the state says. */
export async function taggedResources(clients: AwsClients, env: Environment, types: ReadonlySet<string>): Promise<Orphan[]> {
  const envPath = env.naming.envPath;
  const found = new Map<string, Orphan>();
  const add = (arn: string, tags: Record<string, string>) => {
    const parsed = parseArn(arn);
    const rule = parsed && KINDS[parsed.kind];
    const layer = tags.layer as TerraformLayer;
    if (!rule || !parsed || !types.has(rule.type) || !TERRAFORM_LAYERS.includes(layer) || tags.environment !== envPath) return;
    found.set(arn, { layer, type: rule.type, id: rule.importId(parsed.resource, arn), arn, name: tags.Name });
  };
  const tagMap = (list: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

  let token: string | undefined;
  do {
    const out = await naming(
      `tag:GetResources in ${env.config.aws.region}`,
      clients.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'environment', Values: [envPath] }], PaginationToken: token || undefined })),
    );
    for (const m of out.ResourceTagMappingList ?? ([] as ResourceTagMapping[])) if (m.ResourceARN) add(m.ResourceARN, tagMap(m.Tags));
    token = out.PaginationToken;
  } while (token);

  // What moto's tagging API leaves out (real AWS returns them too; the Map removes doubles).
  const { region, accountId } = env.config.aws;
  const ec2Arn = (kind: string, id: string) => `arn:aws:ec2:${region}:${accountId}:${kind}/${id}`;
  const byTag: Filter[] = [{ Name: `tag:${ENVIRONMENT_TAG}`, Values: [envPath] }];
  const lookups: Array<Promise<void>> = [];
  if (types.has('aws_eip')) {
    lookups.push(
      naming(`ec2:DescribeAddresses in ${region}`, clients.ec2.send(new DescribeAddressesCommand({ Filters: byTag }))).then((out) => {
        for (const a of out.Addresses ?? []) if (a.AllocationId) add(ec2Arn('elastic-ip', a.AllocationId), tagMap(a.Tags));
      }),
    );
  }
  if (types.has('aws_vpc_endpoint')) {
    lookups.push(
      naming(`ec2:DescribeVpcEndpoints in ${region}`, clients.ec2.send(new DescribeVpcEndpointsCommand({ Filters: byTag }))).then((out) => {
        for (const e of out.VpcEndpoints ?? []) {
          if (e.VpcEndpointId && e.State?.toLowerCase() !== 'deleted') add(ec2Arn('vpc-endpoint', e.VpcEndpointId), tagMap(e.Tags));
        }
      }),
    );
  }
  if (types.has('aws_launch_template')) {
    lookups.push(
      naming(`ec2:DescribeLaunchTemplates in ${region}`, clients.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: byTag }))).then((out) => {
        for (const t of out.LaunchTemplates ?? []) if (t.LaunchTemplateId) add(ec2Arn('launch-template', t.LaunchTemplateId), tagMap(t.Tags));
      }),
    );
  }
  await Promise.all(lookups);
  return [...found.values()];
}

/**
 * IAM roles named by the naming rule that are not in any layer's state. ListRoles returns no tags,
 * so only those roles are asked for theirs: none in the normal case.
 */
export async function orphanRoles(clients: AwsClients, env: Environment, known: ReadonlySet<string>): Promise<Orphan[]> {
  const prefix = `${env.naming.prefix}-`;
  const out: Orphan[] = [];
  let marker: string | undefined;
  do {
    const page = await naming('iam:ListRoles', clients.iam.send(new ListRolesCommand({ Marker: marker })));
    for (const role of page.Roles ?? []) {
      if (!role.RoleName?.startsWith(prefix) || !role.Arn || known.has(role.RoleName) || known.has(role.Arn)) continue;
      const listed = await naming(`iam:ListRoleTags on ${role.RoleName}`, clients.iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName })));
      const tags = Object.fromEntries((listed.Tags ?? []).map((t) => [t.Key, t.Value]));
      const layer = tags.layer as TerraformLayer;
      if (tags.environment !== env.naming.envPath || !TERRAFORM_LAYERS.includes(layer)) continue;
      out.push({ layer, type: 'aws_iam_role', id: role.RoleName, arn: role.Arn, name: tags.Name });
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return out;
}
