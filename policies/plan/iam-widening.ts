import type { PlanRule } from '../rule';
import type { ResourceChange } from '../../bdda/diff/typed-plan';
import { asList, field, policyStatements, type Statement } from '../terraform';

/** Where each IAM resource type holds its policy documents. */
const DOCUMENTS: Readonly<Record<string, (values: unknown) => unknown[]>> = {
  aws_iam_policy: (v) => [field(v, 'policy')],
  aws_iam_role_policy: (v) => [field(v, 'policy')],
  aws_iam_user_policy: (v) => [field(v, 'policy')],
  aws_iam_group_policy: (v) => [field(v, 'policy')],
  aws_iam_role: (v) => asList(field(v, 'inline_policy')).map((p) => field(p, 'policy')),
};

/** Actions that only read, which many services cannot scope to a resource. */
const READ_ONLY = /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$/;

/** Why an Allow statement is wide, or undefined when it is not. */
function wideness(s: Statement): string | undefined {
  if (s.Effect !== 'Allow') return undefined;
  if (s.NotAction !== undefined) return 'NotAction';
  if (s.NotResource !== undefined) return 'NotResource';
  const actions = asList(s.Action).map(String);
  const wildAction = actions.find((a) => a.includes('*'));
  if (wildAction) return `action ${wildAction}`;
  const anyResource = asList(s.Resource).some((r) => r === '*');
  if (anyResource && s.Condition === undefined && !actions.every((a) => READ_ONLY.test(a))) return `resource * for ${actions.join(', ')}`;
  return undefined;
}

function wideStatements(change: ResourceChange, values: unknown): Map<string, string> {
  const wide = new Map<string, string>();
  for (const document of DOCUMENTS[change.type](values))
    for (const statement of policyStatements(document)) {
      const why = wideness(statement);
      if (why) wide.set(JSON.stringify(statement), why);
    }
  return wide;
}

export const iamWidening: PlanRule = {
  kind: 'plan',
  id: 'IAM-WIDENING',
  description:
    'No change adds an IAM statement that allows wildcard actions, NotAction/NotResource, or resource * for actions that write (read-only Describe/Get/List and conditioned statements excepted).',
  severity: 'error',
  check: (plan) =>
    plan.changes
      .filter((c) => c.type in DOCUMENTS && c.action !== 'delete' && c.action !== 'forget' && c.action !== 'read')
      .flatMap((c) => {
        const before = wideStatements(c, c.before);
        const added = [...wideStatements(c, c.after)].filter(([statement]) => !before.has(statement)).map(([, why]) => why);
        return added.length ? [{ address: c.address, message: `widens IAM: allows ${added.join('; ')}` }] : [];
      }),
};
