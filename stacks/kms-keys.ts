/**
 * Customer-managed KMS keys, rotated yearly, whose policies separate the roles that administer a
 * key (the deploy role and the cluster admins: change its policy, rotate, schedule deletion, but
 * not use it) from whoever uses it (a service or a role: encrypt and decrypt only).
 *
 * No statement gives the account root `kms:*`: that would let any IAM policy in the account use
 * the key and make the separation decorative. The account root gets key administration only (no
 * use, no grants), so that deleting every listed administrator does not orphan the key: an IAM
 * principal of the account with the right IAM policy can still recover it. Grants, which hand
 * use of the key onwards, are allowed only for AWS services acting for a principal
 * (`kms:GrantIsForAWSResource`).
 */
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { Construct } from 'constructs';

/** What a key administrator may do: everything but use the key or grant its use. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
];

/** What the account root may do with a key whose administrators are gone: administer, never use. */
export const KEY_RECOVERY_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
];

/** What a key user may do: use the key, and nothing else. */
export const KEY_USER_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/** The statement that lets CloudWatch Logs use a key for one log group. */
export function logsServiceStatement(where: { readonly region: string; readonly accountId: string }, logGroupName: string): object {
  const { region, accountId } = where;
  return {
    Sid: 'CloudWatchLogsUse',
    Effect: 'Allow',
    Principal: { Service: `logs.${region}.amazonaws.com` },
    Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
    Resource: '*',
    Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${accountId}:log-group:${logGroupName}` } },
  };
}

export interface CustomerManagedKeyProps {
  /** The account the key lives in; its root gets the recovery statement. */
  readonly accountId: string;
  /** IAM principals that administer the key: everything but use it. */
  readonly administrators: string[];
  /** What the key protects, for the console. */
  readonly description: string;
  /** Alias, without `alias/`. */
  readonly alias: string;
  /** Statements granting use of the key (services or roles); the administrators' comes first. */
  readonly usage: object[];
  /** Tags of the key. */
  readonly tags: Record<string, string>;
}

/** A rotating key with an alias and a policy of administrators and users; ids `<id>` and `<id>-alias`. */
export function customerManagedKey(scope: Construct, id: string, props: CustomerManagedKeyProps): KmsKey {
  const key = new KmsKey(scope, id, {
    description: props.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'KeyAdministrators', Effect: 'Allow', Principal: { AWS: props.administrators }, Action: KEY_ADMIN_ACTIONS, Resource: '*' },
        {
          Sid: 'AdministratorGrantsForAwsResources',
          Effect: 'Allow',
          Principal: { AWS: props.administrators },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
        {
          Sid: 'AccountRootRecovery',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
          Action: KEY_RECOVERY_ACTIONS,
          Resource: '*',
        },
        ...props.usage,
      ],
    }),
    tags: props.tags,
  });
  new KmsAlias(scope, `${id}-alias`, { name: `alias/${props.alias}`, targetKeyId: key.keyId });
  return key;
}
