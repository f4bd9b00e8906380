import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, field, policyStatements, resourcesOf } from '../terraform';

const CONTEXT_KEY = 'kms:EncryptionContext:aws:logs:arn';

/** The log group ARNs a statement's condition limits the key's use to; empty when it does not. */
function contextArns(condition: unknown): string[] {
  return ['ArnEquals', 'StringEquals'].flatMap((operator) => asList(field(condition, operator, CONTEXT_KEY)).map(String));
}

export const logKeyContext: ConfigurationRule = {
  kind: 'configuration',
  id: 'LOG-KEY-CONTEXT',
  description: `A KMS key lets CloudWatch Logs use it only for log groups of its stack, each named by its ARN (the condition ${CONTEXT_KEY}).`,
  severity: 'error',
  check: ({ env, stacks }) => {
    const { region, accountId } = env.config.aws;
    const isLogs = (service: unknown) => String(service) === `logs.${region}.amazonaws.com` || String(service) === 'logs.amazonaws.com';
    return eachStack(stacks).flatMap(({ layer, stack }) => {
      const groups = new Set(resourcesOf(stack, 'aws_cloudwatch_log_group').map((g) => `arn:aws:logs:${region}:${accountId}:log-group:${String(g.body.name)}`));
      return resourcesOf(stack, 'aws_kms_key').flatMap((key): Finding[] => {
        const loose = policyStatements(key.body.policy)
          .filter((s) => s.Effect === 'Allow' && asList(field(s.Principal, 'Service')).some(isLogs))
          .filter((s) => {
            const arns = contextArns(s.Condition);
            return arns.length === 0 || arns.some((arn) => !groups.has(arn));
          });
        return loose.length
          ? [
              {
                layer,
                address: key.address,
                message: `lets CloudWatch Logs use it beyond the log groups of its stack (condition ArnEquals ${CONTEXT_KEY} on each group's ARN)`,
              },
            ]
          : [];
      });
    });
  },
};
