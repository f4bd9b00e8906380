/**
 * The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver (an EKS
 * add-on that KARR installs). Volumes are created where the pod is scheduled
 * (WaitForFirstConsumer), so a volume never lands in an AZ its pod cannot reach.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

const { k8s } = kplus;

export interface EbsStorageProps {
  /**
   * Name of the StorageClass.
   * @default 'gp3'
   */
  readonly name?: string;
  /**
   * KMS key ARN for the volumes.
   * @default the account's AWS managed EBS key
   */
  readonly kmsKeyArn?: string;
}

/** The provisioner name of the EBS CSI driver. */
const EBS_CSI_PROVISIONER = 'ebs.csi.aws.com';

export class EbsStorage extends Construct {
  constructor(scope: Construct, id: string, props: EbsStorageProps = {}) {
    super(scope, id);
    new k8s.KubeStorageClass(this, 'storage-class', {
      metadata: {
        name: props.name ?? 'gp3',
        labels: { 'app.kubernetes.io/managed-by': 'goliath' },
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: EBS_CSI_PROVISIONER,
      parameters: { type: 'gp3', encrypted: 'true', ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}) },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });
  }
}
