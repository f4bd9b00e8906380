/**
 * What a name given to `--env` (or listed in ci.yaml's planOnMain) stands for: a tier, a folder
 * above leaves such as `prod` or `prod/`, stands for all its leaves; any other name is one leaf,
 * by path (`dev/dev2`) or by leaf name (`dev2`). A tier wins over a leaf of the same name.
 */
import type { EnvironmentRef } from './load';

export interface NamedEnvironments {
  /** Whether the name is a tier. */
  readonly tier: boolean;
  /** The leaves it names, in the order given; none when it names nothing. */
  readonly leaves: readonly EnvironmentRef[];
}

export function environmentsNamed(leaves: readonly EnvironmentRef[], name: string): NamedEnvironments {
  const wanted = name.replace(/^environments\//, '').replace(/\/+$/, '');
  const under = leaves.filter((l) => l.path.startsWith(`${wanted}/`));
  if (under.length > 0) return { tier: true, leaves: under };
  return { tier: false, leaves: leaves.filter((l) => l.path === wanted || l.name === wanted) };
}
