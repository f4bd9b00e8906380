/**
 * A live cluster for Goliath's kubectl engine without a cluster: a scratch folder with the
 * stand-in kubectl (support/fake-kubectl.js) and `aws` CLI, the cluster's namespaces in
 * `cluster.json`, the state bucket in memory holding KARR's cluster outputs, and the plan context
 * the engine reads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { silentProgress } from '../../bdda/support/progress';
import type { PlanContext } from '../../bdda/workflow/context';
import { memoryBackend } from './memory-backend';

const FAKE_KUBECTL = path.join(__dirname, 'fake-kubectl.js');

/** The outputs of KARR's state that the kubectl engine builds its kubeconfig from. */
const KARR_OUTPUTS = {
  cluster_name: { value: 'staging-stg1' },
  cluster_endpoint: { value: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com' },
  cluster_certificate_authority_data: { value: 'Q0EgZGF0YQ==' },
};

export interface LiveCluster {
  /** The scratch folder; the stand-in kubectl writes `calls.log` and reads `cluster.json` here. */
  readonly dir: string;
  /** The plan context of `env`, its build folder and emulator folder under `dir`. */
  readonly ctx: PlanContext;
  /** The state bucket's objects, KARR's state among them. */
  readonly objects: Map<string, string>;
  /** Points kubectl and aws at the stand-ins, with a cluster holding `namespaces`; undone by `restore`. */
  readonly start: (namespaces: readonly string[]) => void;
  /** Puts the environment back and removes the scratch folder. */
  readonly restore: () => void;
}

export function liveCluster(env: Environment): LiveCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-live-'));
  const { backend, objects } = memoryBackend();
  const saved = { ...process.env };
  const ctx: PlanContext = {
    ws: { root: dir, buildDir: path.join(dir, 'build'), emulatorDir: path.join(dir, 'emulator') },
    env,
    synth: { outdir: path.join(dir, 'build') },
    target: { terraformEnv: {}, backend, freshEmulator: false, providers: { kind: 'mirror', path: '/opt/tf-plugins' }, credentialsHint: '' },
    progress: silentProgress,
    timings: [],
  };
  return {
    dir,
    ctx,
    objects,
    start(namespaces) {
      const aws = path.join(dir, 'aws');
      fs.writeFileSync(aws, '#!/bin/sh\necho "aws-cli/2.27.0 Python/3.13.3 Linux/6.8.0"\n', { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify({ namespaces, objects: {} }));
      Object.assign(process.env, { KUBECTL_BINARY: FAKE_KUBECTL, FAKE_KUBECTL_DIR: dir, AWS_CLI_BINARY: aws });
      objects.set(env.naming.stateKey('karr'), JSON.stringify({ version: 4, outputs: KARR_OUTPUTS }));
    },
    restore() {
      process.env = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
