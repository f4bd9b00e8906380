/**
 * CI's job matrix: one entry per environment, on the runner label its config names. An
 * environment whose API is private is reachable only from a runner inside its own network, so
 * jobs that touch it must run one per environment, each on that environment's runner; two
 * private environments on one label would send one of them to a runner that cannot reach it.
 */
import { BddaError } from '../../config/errors';
import { type Environment, listEnvironments, loadEnvironment } from '../../config/load';
import { environmentsToPlanOnMain, loadCiConfig } from './ci-config';

/** The runner label of an environment that names none: the shared runners of the dev and staging tiers. */
const DEFAULT_RUNNER_LABEL = 'bdda';

export interface MatrixEntry {
  /** The environment's path, e.g. `prod/us1`: what `--env` is given. */
  readonly environment: string;
  /** The leaf name, e.g. `us1`: the GitHub environment of its deploys. */
  readonly name: string;
  /** The self-hosted runner label the job runs on (`ci.runnerLabel`). */
  readonly runner: string;
}

/** The leaves of an environment or tier name (`prod`: all its leaves), loaded. */
export function environmentsOf(root: string, name: string): Environment[] {
  const tier = listEnvironments(root).filter((l) => l.path.startsWith(`${name.replace(/\/+$/, '')}/`));
  return (tier.length ? tier.map((l) => l.path) : [name]).map((p) => loadEnvironment(root, p));
}

/** Whether CI reaches the environment's Kubernetes API only from inside its network. */
function hasPrivateApi(env: Environment): boolean {
  return !env.config.emulated && env.config.kubernetes.publicAccessCidrs.length === 0;
}

/** One entry per leaf of `names` (default: `planOnMain` of environments/ci.yaml), sorted by path. */
export function ciMatrix(root: string, names?: readonly string[]): MatrixEntry[] {
  const paths = names?.length
    ? [...new Set(names.flatMap((name) => environmentsOf(root, name).map((e) => e.path)))]
    : environmentsToPlanOnMain(root, loadCiConfig(root)).map((l) => l.path);
  const envs = paths.sort().map((p) => loadEnvironment(root, p));
  const byLabel = new Map<string, Environment>();
  for (const env of envs.filter(hasPrivateApi)) {
    const label = env.config.ci.runnerLabel ?? DEFAULT_RUNNER_LABEL;
    const other = byLabel.get(label);
    if (other) {
      throw new BddaError(
        `${other.path} and ${env.path} both name the runner label ${label} (ci.runnerLabel), but each has a private API that only a runner inside ` +
          `its own VPC reaches. Give each environment a label of its own in its env.yaml (${env.files[env.files.length - 1]}), and start a runner ` +
          `with that label in each environment's vpc.runnerSubnet.`,
      );
    }
    byLabel.set(label, env);
  }
  return envs.map((env) => ({ environment: env.path, name: env.name, runner: env.config.ci.runnerLabel ?? DEFAULT_RUNNER_LABEL }));
}
