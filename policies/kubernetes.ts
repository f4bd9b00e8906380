/** Reading Goliath's objects for rules: the pod templates of workloads. */
import type { K8sObject } from '../bdda/diff/kubernetes-diff';
import { field } from './terraform';

/** A pod spec, as far as rules read it. */
export interface PodSpec {
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly securityContext?: Readonly<Record<string, unknown>>;
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly volumes?: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly securityContext?: Readonly<Record<string, unknown>>;
}

/** The pod spec of a Pod, a workload's template, or a CronJob's job template; undefined for other kinds. */
export function podSpecOf(o: K8sObject): PodSpec | undefined {
  switch (o.kind) {
    case 'Pod':
      return field(o, 'spec') as PodSpec | undefined;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return field(o, 'spec', 'template', 'spec') as PodSpec | undefined;
    case 'CronJob':
      return field(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec') as PodSpec | undefined;
    default:
      return undefined;
  }
}

/** Every container of a pod spec, init containers included. */
export function containersOf(pod: PodSpec): Container[] {
  return [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
}
