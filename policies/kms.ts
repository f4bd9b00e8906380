/** Reading KMS key policies for rules: which actions of a key a statement allows. */
import { asList, type Statement } from './terraform';

/** Actions that use a key's material. */
export const KMS_USE_ACTIONS = [
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
export const KMS_ADMIN_ACTIONS = [
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
export function allowedOf(s: Statement, known: readonly string[]): string[] {
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

/** Every action at once: KMS-KEY-POLICY's finding, which other key rules leave to it. */
export const allowsEverything = (s: Statement): boolean => asList(s.Action).some((a) => a === '*' || a === 'kms:*');
