import type { ConfigurationRule } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';
import { containersOf, podSpecOf } from '../kubernetes';

const DIGEST = /@sha256:[0-9a-f]{64}$/;
/** An exact release tag: 1.2.3 or v1.2.3, with an optional suffix (v1.2.3-eksbuild.1); never latest or a bare minor. */
const EXACT_TAG = /:v?\d+\.\d+\.\d+([-+][\w.-]+)?$/;

export const pinnedImages: ConfigurationRule = {
  kind: 'configuration',
  id: 'PINNED-IMAGES',
  description: 'Every container image is pinned by digest or by an exact release tag, so a pod restart cannot pull different code.',
  severity: 'error',
  check: ({ manifests }) =>
    manifests.flatMap((o) => {
      const pod = podSpecOf(o);
      if (!pod) return [];
      return containersOf(pod)
        .filter((c) => !c.image || !(DIGEST.test(c.image) || EXACT_TAG.test(c.image)))
        .map((c) => ({
          layer: 'goliath' as const,
          address: objectAddress(o),
          message: `container ${c.name} runs ${c.image ?? 'no image'}, pinned by neither digest nor exact tag`,
        }));
    }),
};
