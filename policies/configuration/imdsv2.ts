import type { ConfigurationRule } from '../rule';
import { eachStack, field, resourcesOf } from '../terraform';

export const imdsv2: ConfigurationRule = {
  kind: 'configuration',
  id: 'IMDSV2',
  description: 'Every launch template requires IMDSv2 tokens with a hop limit of 1, so pods cannot reach the node role through the metadata service.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_launch_template')
        .filter(
          (lt) => field(lt.body, 'metadata_options', 'http_tokens') !== 'required' || field(lt.body, 'metadata_options', 'http_put_response_hop_limit') !== 1,
        )
        .map((lt) => ({ layer, address: lt.address, message: 'does not require IMDSv2 (metadata_options.http_tokens "required", hop limit 1)' })),
    ),
};
