import type { ConfigurationRule } from '../rule';
import { eachStack, resourcesOf } from '../terraform';

function enforcesPolicies(configuration: unknown): boolean {
  try {
    return String((JSON.parse(String(configuration)) as { enableNetworkPolicy?: unknown }).enableNetworkPolicy) === 'true';
  } catch {
    return false;
  }
}

export const vpcCniNetworkPolicy: ConfigurationRule = {
  kind: 'configuration',
  id: 'VPC-CNI-NETWORK-POLICY',
  description: "Every real cluster's vpc-cni add-on runs its network policy agent, so NetworkPolicies are enforced (the emulator has no add-ons).",
  severity: 'error',
  check: ({ env, stacks }) => {
    if (env.config.emulated) return [];
    return eachStack(stacks).flatMap(({ layer, stack }) => {
      const clusters = resourcesOf(stack, 'aws_eks_cluster');
      if (clusters.length === 0) return [];
      const cni = resourcesOf(stack, 'aws_eks_addon').find((a) => a.body.addon_name === 'vpc-cni');
      if (!cni) return [{ layer, address: clusters[0].address, message: 'has no vpc-cni add-on, so nothing enforces NetworkPolicies' }];
      return enforcesPolicies(cni.body.configuration_values)
        ? []
        : [{ layer, address: cni.address, message: 'does not set enableNetworkPolicy "true" in configuration_values' }];
    });
  },
};
