/**
 * Each layer's inputs are a narrow projection of the merged config; every default has one home;
 * tags are composed in one place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { flagInputs, goliathInputs, karrInputs } from '../config/layer-inputs';
import { listEnvironments, loadEnvironment } from '../config/load';
import { environmentJsonSchema } from '../config/schema';
import { layerTags } from '../config/tags';

const root = path.resolve(__dirname, '..');
const environments = listEnvironments(root).map((ref) => loadEnvironment(root, ref.path));

describe.each(environments.map((env) => [env.path, env] as const))('inputs of %s', (_name, env) => {
  test("FLAG gets the network and its own state key, nothing of the cluster's or the platform's", () => {
    const inputs = flagInputs(env.config, env.naming);
    expect(Object.keys(inputs).sort()).toEqual(['accountId', 'azs', 'keyAdministrators', 'naming', 'region', 'state', 'tags', 'vpc']);
    expect(inputs.state.key).toBe(`${env.path}/flag.tfstate`);
    expect(inputs.vpc).toEqual(env.config.vpc);
  });

  test("KARR gets the cluster settings and where FLAG's state is, not the VPC's subnets", () => {
    const inputs = karrInputs(env.config, env.naming);
    expect(inputs).not.toHaveProperty('vpc');
    expect(inputs).not.toHaveProperty('platform');
    expect(inputs.state.key).toBe(`${env.path}/karr.tfstate`);
    expect(inputs.flagState).toEqual({ ...inputs.state, key: `${env.path}/flag.tfstate` });
    expect(inputs.nodeGroups).toEqual(env.config.kubernetes.nodeGroups);
  });

  test("Goliath gets the platform and KARR's outputs, no AWS account, state or tags", () => {
    const inputs = goliathInputs(env.config, env.naming);
    for (const key of ['accountId', 'state', 'tags', 'naming', 'vpc', 'kubernetes']) expect(inputs).not.toHaveProperty(key);
    expect(inputs.karr).toEqual({
      clusterName: env.naming.clusterName,
      irsaRoleArns: { 'cluster-autoscaler': env.naming.irsaRoleArn('cluster-autoscaler'), 'ebs-csi-driver': env.naming.irsaRoleArn('ebs-csi-driver') },
    });
  });

  test('both terraform layers tag with the organisation tags plus organisation, environment and layer', () => {
    expect(flagInputs(env.config, env.naming).tags).toEqual({
      ...env.config.tags,
      organisation: env.config.organisation,
      environment: env.path,
      layer: 'flag',
    });
    expect(karrInputs(env.config, env.naming).tags).toEqual({
      ...env.config.tags,
      organisation: env.config.organisation,
      environment: env.path,
      layer: 'karr',
    });
  });
});

test('the tags every resource must carry win over organisation tags of the same name', () => {
  const env = environments[0];
  const tags = layerTags({ organisation: 'acme', tags: { environment: 'spoofed', layer: 'x', owner: 'me' } }, env.naming, 'karr');
  expect(tags).toEqual({ owner: 'me', organisation: 'acme', environment: env.path, layer: 'karr' });
});

type SchemaNode = { default?: unknown; properties?: Record<string, SchemaNode>; additionalProperties?: SchemaNode | boolean };

/** Paths in `value` that set exactly what the schema defaults them to. */
function restatedDefaults(value: unknown, node: SchemaNode | undefined, at: string): string[] {
  if (!node) return [];
  if (node.default !== undefined && JSON.stringify(node.default) === JSON.stringify(value)) return [at];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const extra = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
    return restatedDefaults(child, node.properties?.[key] ?? extra, at ? `${at}.${key}` : key);
  });
}

test("the root env.yaml restates none of the schema's defaults: each default has one home", () => {
  const rootYaml = parse(fs.readFileSync(path.join(root, 'environments', 'env.yaml'), 'utf8')) as Record<string, unknown>;
  expect(restatedDefaults(rootYaml, environmentJsonSchema() as SchemaNode, '')).toEqual([]);
  // The check can fail: a restated default is found.
  expect(restatedDefaults({ platform: { namespace: 'platform' } }, environmentJsonSchema() as SchemaNode, '')).toEqual(['platform.namespace']);
});
