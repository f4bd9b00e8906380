/**
 * The pod and container security contexts every Goliath workload runs with, meeting the Pod
 * Security `restricted` level, spelled out in full so that the manifests do not move when
 * cdk8s-plus changes a default.
 */
import * as kplus from 'cdk8s-plus-27';

/** UID and GID of `nobody`; every add-on image here runs fine as it. */
const NOBODY = 65534;

/** Pod-level security context: non-root as `nobody`; fsGroup lets the IRSA token be read. */
export const RESTRICTED_POD_SECURITY: kplus.PodSecurityContextProps = {
  ensureNonRoot: true,
  user: NOBODY,
  group: NOBODY,
  fsGroup: NOBODY,
  fsGroupChangePolicy: kplus.FsGroupChangePolicy.ALWAYS,
};

// cdk8s-plus-27 2.9.5's Capability enum has no ALL (added in a later release); the value is
// passed through to the manifest as is.
const ALL_CAPABILITIES = 'ALL' as kplus.Capability;

/** Container-level security context meeting the Pod Security `restricted` level. */
export const RESTRICTED_CONTAINER_SECURITY: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: NOBODY,
  group: NOBODY,
  privileged: false,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: [ALL_CAPABILITIES] },
};
