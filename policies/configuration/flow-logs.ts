import type { ConfigurationRule } from '../rule';
import { eachStack, referencedName, resourcesOf } from '../terraform';

export const flowLogs: ConfigurationRule = {
  kind: 'configuration',
  id: 'FLOW-LOGS',
  description: 'Every VPC records all its traffic in flow logs.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) => {
      const logs = resourcesOf(stack, 'aws_flow_log').filter((f) => f.body.traffic_type === 'ALL');
      return resourcesOf(stack, 'aws_vpc')
        .filter((vpc) => !logs.some((f) => referencedName(f.body.vpc_id, 'aws_vpc') === vpc.name))
        .map((vpc) => ({ layer, address: vpc.address, message: 'has no flow log capturing ALL traffic; keep vpc.flowLogs.enabled on' }));
    }),
};
