/**
 * Tag composition, in one place: the tags every AWS resource of a terraform layer carries. The
 * provider applies them as default tags; resources the provider's default tags do not reach
 * (instances and volumes launched from a template) are given the same map.
 */
import type { Layer, Naming } from './naming';
import type { EnvironmentConfig } from './schema';

/** The tag whose value is the environment's path; what tools find an environment's resources by. */
export const ENVIRONMENT_TAG = 'environment';

/** The organisation's tags, then `organisation`, `environment` (the env path) and `layer`, which always win. */
export function layerTags(config: Pick<EnvironmentConfig, 'tags' | 'organisation'>, naming: Naming, layer: Exclude<Layer, 'goliath'>): Record<string, string> {
  return { ...config.tags, organisation: config.organisation, [ENVIRONMENT_TAG]: naming.envPath, layer };
}
