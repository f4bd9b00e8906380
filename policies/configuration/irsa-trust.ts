import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, field, policyStatements, referencedName, resourcesOf, type Statement } from '../terraform';

/** One service account, named exactly: no wildcard, no list. */
const ONE_SERVICE_ACCOUNT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;
const STS_AUDIENCE = 'sts.amazonaws.com';

/** AWS managed policies whose holder only one known service account may assume. */
const SOLE_ASSUMERS: Readonly<Record<string, { readonly name: string; readonly subject: string }>> = {
  'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy': {
    name: "the EBS CSI driver's controller",
    subject: 'system:serviceaccount:kube-system:ebs-csi-controller-sa',
  },
};

const isWebIdentity = (s: Statement): boolean =>
  s.Effect === 'Allow' && (field(s.Principal, 'Federated') !== undefined || asList(s.Action).some((a) => a === 'sts:AssumeRoleWithWebIdentity'));

/** The value a StringEquals condition pins on the key ending in `suffix` (`:sub`, `:aud`). */
function pinned(s: Statement, suffix: string): unknown[] {
  const equals = (field(s.Condition, 'StringEquals') ?? {}) as Readonly<Record<string, unknown>>;
  return asList(Object.entries(equals).find(([key]) => key.endsWith(suffix))?.[1]);
}

export const irsaTrust: ConfigurationRule = {
  kind: 'configuration',
  id: 'IRSA-TRUST',
  description:
    "Every IAM role assumed through the cluster's OIDC provider trusts one service account, named exactly, and the STS audience; the EBS CSI driver's role trusts only its controller's service account.",
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) => {
      const attachments = resourcesOf(stack, 'aws_iam_role_policy_attachment');
      return resourcesOf(stack, 'aws_iam_role').flatMap((role): Finding[] => {
        const trusts = policyStatements(role.body.assume_role_policy).filter(isWebIdentity);
        if (trusts.length === 0) return [];
        const held = attachments
          .filter((a) => referencedName(a.body.role, 'aws_iam_role') === role.name)
          .map((a) => SOLE_ASSUMERS[String(a.body.policy_arn)])
          .filter((owner) => owner !== undefined);
        const problems = trusts.flatMap((s) => {
          const subjects = pinned(s, ':sub');
          const subject = subjects.length === 1 ? String(subjects[0]) : undefined;
          return [
            ...(subject !== undefined && ONE_SERVICE_ACCOUNT.test(subject)
              ? []
              : ['can be assumed by more than one service account (pin <issuer>:sub to one system:serviceaccount:<namespace>:<name> with StringEquals)']),
            ...(pinned(s, ':aud').join() === STS_AUDIENCE ? [] : [`does not require the audience ${STS_AUDIENCE} (StringEquals on <issuer>:aud)`]),
            ...held
              .filter((owner) => subject !== owner.subject)
              .map((owner) => `holds the policy of ${owner.name} but trusts ${subject ?? 'other subjects'}, not ${owner.subject}`),
          ];
        });
        return [...new Set(problems)].map((message) => ({ layer, address: role.address, message }));
      });
    }),
};
