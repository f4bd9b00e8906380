import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, field, policyStatements, resourcesOf, type Statement } from '../terraform';

/** Actions that use a key's material. */
const USE = [
  'kms:Decrypt',
  'kms:DeriveSharedSecret',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateMac',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:Sign',
  'kms:Verify',
  'kms:VerifyMac',
];

/** Actions that change a key, its policy or its life. */
const ADMINISTER = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DeleteImportedKeyMaterial',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:ImportKeyMaterial',
  'kms:PutKeyPolicy',
  'kms:ReplicateKey',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
  'kms:UpdatePrimaryRegion',
];

/** The actions of `known` that a statement's action patterns (`kms:Decrypt*`) allow. */
function allowed(s: Statement, known: readonly string[]): string[] {
  const patterns = asList(s.Action).map(
    (a) =>
      new RegExp(
        `^${String(a)
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')}$`,
        'i',
      ),
  );
  return known.filter((action) => patterns.some((p) => p.test(action)));
}

/** Every action at once is KMS-KEY-POLICY's finding, so it is not counted twice here. */
const allowsEverything = (s: Statement): boolean => asList(s.Action).some((a) => a === '*' || a === 'kms:*');

export const kmsKeySeparation: ConfigurationRule = {
  kind: 'configuration',
  id: 'KMS-KEY-SEPARATION',
  description:
    'No KMS key policy statement lets the same principals both administer and use a key, and none lets the account root use it (which would open it to any IAM policy in the account).',
  severity: 'error',
  check: ({ env, stacks }) => {
    const root = [`arn:aws:iam::${env.config.aws.accountId}:root`, env.config.aws.accountId];
    return eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_kms_key').flatMap((key): Finding[] => {
        const problems = policyStatements(key.body.policy)
          .filter((s) => s.Effect === 'Allow' && !allowsEverything(s))
          .flatMap((s) => {
            const name = s.Sid ? `statement ${s.Sid}` : 'a statement';
            const uses = allowed(s, USE);
            if (uses.length === 0) return [];
            return [
              ...(allowed(s, ADMINISTER).length ? [`${name} lets its principals both administer and use the key`] : []),
              ...(asList(field(s.Principal, 'AWS')).some((p) => root.includes(String(p)))
                ? [`${name} lets the account root use the key (${uses.join(', ')})`]
                : []),
            ];
          });
        return problems.map((message) => ({ layer, address: key.address, message }));
      }),
    );
  },
};
