import type { ConfigurationRule, Finding } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';
import { asList, eachStack, field, resourcesOf } from '../terraform';

const EBS_CSI = 'ebs.csi.aws.com';
const isTrue = (value: unknown): boolean => value === true || value === 'true';

export const ebsEncryption: ConfigurationRule = {
  kind: 'configuration',
  id: 'EBS-ENCRYPTION',
  description: "Every EBS volume is encrypted: node root volumes (launch templates), standalone volumes, and the EBS StorageClasses' volumes.",
  severity: 'error',
  check: ({ stacks, manifests }) => {
    const findings: Finding[] = eachStack(stacks).flatMap(({ layer, stack }) => [
      ...resourcesOf(stack, 'aws_launch_template')
        .filter((lt) => asList(lt.body.block_device_mappings).some((m) => !isTrue(field(m, 'ebs', 'encrypted'))))
        .map((lt) => ({ layer, address: lt.address, message: 'has a block device mapping whose EBS volume is not encrypted' })),
      ...resourcesOf(stack, 'aws_ebs_volume')
        .filter((v) => !isTrue(v.body.encrypted))
        .map((v) => ({ layer, address: v.address, message: 'is not encrypted' })),
    ]);
    for (const sc of manifests.filter((o) => o.kind === 'StorageClass' && o.provisioner === EBS_CSI)) {
      if (!isTrue(field(sc, 'parameters', 'encrypted')))
        findings.push({ layer: 'goliath', address: objectAddress(sc), message: `provisions unencrypted volumes (parameters.encrypted is not "true")` });
    }
    return findings;
  },
};
