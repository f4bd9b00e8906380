import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, field, policyStatements, referencedName, resourcesOf } from '../terraform';

const CONTEXT_KEY = 'kms:EncryptionContext:aws:logs:arn';

/** The log group ARNs a statement's condition limits the key's use to; empty when it does not. */
function contextArns(condition: unknown): string[] {
  return ['ArnEquals', 'StringEquals'].flatMap((operator) => asList(field(condition, operator, CONTEXT_KEY)).map(String));
}

export const logKeyContext: ConfigurationRule = {
  kind: 'configuration',
  id: 'LOG-KEY-CONTEXT',
  description: `A KMS key lets CloudWatch Logs use it only for the log groups it encrypts (${CONTEXT_KEY} names each group's ARN).`,
  severity: 'error',
  check: ({ env, stacks }) => {
    const { region, accountId } = env.config.aws;
    const isLogs = (service: unknown) => String(service) === `logs.${region}.amazonaws.com` || String(service) === 'logs.amazonaws.com';
    return eachStack(stacks).flatMap(({ layer, stack }) => {
      const groupArns = new Map<string, Set<string>>();
      for (const group of resourcesOf(stack, 'aws_cloudwatch_log_group')) {
        const key = referencedName(group.body.kms_key_id, 'aws_kms_key');
        if (key === undefined) continue;
        groupArns.set(key, (groupArns.get(key) ?? new Set()).add(`arn:aws:logs:${region}:${accountId}:log-group:${String(group.body.name)}`));
      }
      return resourcesOf(stack, 'aws_kms_key').flatMap((key): Finding[] => {
        const own = groupArns.get(key.name) ?? new Set<string>();
        const loose = policyStatements(key.body.policy)
          .filter((s) => s.Effect === 'Allow' && asList(field(s.Principal, 'Service')).some(isLogs))
          .filter((s) => {
            const arns = contextArns(s.Condition);
            return arns.length === 0 || arns.some((arn) => !own.has(arn));
          });
        return loose.length
          ? [{ layer, address: key.address, message: `lets CloudWatch Logs use it beyond the log groups it encrypts (condition ArnEquals ${CONTEXT_KEY})` }]
          : [];
      });
    });
  },
};
