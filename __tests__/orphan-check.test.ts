/**
 * The orphan check's rule when the look-up itself fails: apply (`refuse`) stops, naming the call
 * that failed, since an unchecked apply could create a killed run's resources a second time; plan
 * only warns. The look-up is a fake; orphans.test.ts runs the real one against the emulator.
 */
import { loadEnvironment } from '../config/load';
import { BddaError } from '../config/errors';
import { checkOrphans, type OrphanReport } from '../bdda/state/orphans';
import { type AwsClients, LookupFailure, taggedResources } from '../bdda/state/orphan-lookups';
import type { PlanContext } from '../bdda/workflow/plan-context';
import { REPO_ROOT } from './support/scratch';

const env = loadEnvironment(REPO_ROOT, 'dev2');

function fakeContext(): { ctx: PlanContext; warnings: string[] } {
  const warnings: string[] = [];
  const progress = { step: () => undefined, warn: (_env: string, message: string) => warnings.push(message), passthrough: () => undefined };
  return { ctx: { env, progress } as unknown as PlanContext, warnings };
}

const failingLookUp = async (): Promise<OrphanReport> => {
  throw new LookupFailure('ec2:DescribeVpcs in eu-west-1', Object.assign(new Error('User is not authorized'), { name: 'UnauthorizedOperation' }));
};

test('apply: a failed look-up stops the run, naming the call and what to do', async () => {
  const { ctx, warnings } = fakeContext();
  const err = await checkOrphans(ctx, { refuse: true, lookUp: failingLookUp }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BddaError);
  const message = (err as Error).message;
  expect(message).toContain('ec2:DescribeVpcs in eu-west-1 failed: User is not authorized');
  expect(message).toMatch(/permission/);
  expect(message).toMatch(/Nothing was applied\.$/);
  expect((err as Error).cause).toBeInstanceOf(LookupFailure);
  expect(warnings).toEqual([]);
});

test('plan: a failed look-up is a warning naming the call, and the plan goes on', async () => {
  const { ctx, warnings } = fakeContext();
  await expect(checkOrphans(ctx, { refuse: false, lookUp: failingLookUp })).resolves.toBeUndefined();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('ec2:DescribeVpcs in eu-west-1 failed');
});

test('a look-up call that fails is named as IAM names it, with the region', async () => {
  const refused = Object.assign(new Error('denied'), { name: 'AccessDenied' });
  const clients = {
    tagging: { send: async () => ({ ResourceTagMappingList: [] }) },
    ec2: { send: async () => Promise.reject(refused) },
  } as unknown as AwsClients;
  const err = await taggedResources(clients, env, new Set(['aws_eip'])).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LookupFailure);
  expect((err as LookupFailure).call).toBe(`ec2:DescribeAddresses in ${env.config.aws.region}`);
  expect((err as Error).cause).toBe(refused);
});
