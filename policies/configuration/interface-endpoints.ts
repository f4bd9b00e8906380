import type { ConfigurationRule, Finding } from '../rule';
import { eachStack, resourcesOf } from '../terraform';

/** What a private node calls at boot and at every image pull, by the last part of the service name. */
const REQUIRED_SERVICES = ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'ec2'];

export const interfaceEndpoints: ConfigurationRule = {
  kind: 'configuration',
  id: 'INTERFACE-ENDPOINTS',
  description: 'A protected environment reaches ECR, STS, CloudWatch Logs and EC2 through interface endpoints with private DNS, not through the NAT.',
  severity: 'error',
  check: ({ env, stacks }) => {
    if (!env.config.protected) return [];
    return eachStack(stacks).flatMap(({ layer, stack }): Finding[] => {
      const vpcs = resourcesOf(stack, 'aws_vpc');
      if (vpcs.length === 0) return [];
      const endpoints = resourcesOf(stack, 'aws_vpc_endpoint').filter((e) => e.body.vpc_endpoint_type === 'Interface' && e.body.private_dns_enabled === true);
      const missing = REQUIRED_SERVICES.filter(
        (service) => !endpoints.some((e) => e.body.service_name === `com.amazonaws.${env.config.aws.region}.${service}`),
      );
      return missing.length === 0
        ? []
        : [{ layer, address: vpcs[0].address, message: `has no interface endpoint with private DNS for ${missing.join(', ')} (vpc.interfaceEndpoints: true)` }];
    });
  },
};
