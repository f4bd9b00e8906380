/**
 * The tools Goliath on a live cluster needs, checked before kubectl is asked anything: the AWS
 * CLI, which the kubeconfig's exec runs for a token (`aws eks get-token`), and a kubectl within
 * one minor of the cluster's Kubernetes, the skew kubectl supports. Without these the first
 * kubectl call fails with a message about the cluster, not about the machine.
 */
import { spawn } from 'node:child_process';
import { BddaError } from '../../config/errors';
import { kubectlVersion } from './kubectl';
import { tools } from './tools';

/** Runs `binary args`, giving its exit code and output; undefined when the binary is not there. */
function run(binary: string, args: string[]): Promise<{ code: number; output: string } | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Throws unless the AWS CLI answers `--version`. */
async function checkAwsCli(clusterName: string): Promise<void> {
  const aws = tools().aws;
  const result = await run(aws, ['--version']);
  const problem = !result ? 'was not found' : result.code !== 0 ? `failed (\`${aws} --version\`: ${result.output.trim()})` : undefined;
  if (problem) {
    throw new BddaError(
      `The AWS CLI ("${aws}") ${problem}. kubectl logs in to ${clusterName} through it (the kubeconfig runs \`aws eks get-token\`). ` +
        'Install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), or set AWS_CLI_BINARY to it.',
    );
  }
}

/** The minor of a version such as `v1.31.2` or `1.31`. */
function minorOf(version: string): number {
  const m = /^v?1\.(\d+)/.exec(version);
  if (!m) throw new BddaError(`"${version}" is not a Kubernetes version like v1.31.2`);
  return Number(m[1]);
}

/**
 * Throws unless kubectl's client is within one minor of `clusterVersion` (e.g. `1.31`), naming the
 * binary, both versions and which kubectl to install.
 */
export function checkKubectlSkew(kubectl: string, clientVersion: string, clusterName: string, clusterVersion: string): void {
  const client = minorOf(clientVersion);
  const cluster = minorOf(clusterVersion);
  if (Math.abs(client - cluster) <= 1) return;
  const fits = [cluster - 1, cluster, cluster + 1].map((m) => `1.${m}`).join(', ');
  throw new BddaError(
    `kubectl ("${kubectl}") is ${clientVersion}, but ${clusterName} runs Kubernetes ${clusterVersion}; kubectl supports only one minor version either side of the cluster. ` +
      `Install kubectl ${fits} (https://kubernetes.io/docs/tasks/tools/), or set KUBECTL_BINARY to one.`,
  );
}

/** Checks the AWS CLI and kubectl's version skew against the cluster's Kubernetes minor. */
export async function checkLiveTools(clusterName: string, clusterVersion: string): Promise<void> {
  await checkAwsCli(clusterName);
  checkKubectlSkew(tools().kubectl, await kubectlVersion(), clusterName, clusterVersion);
}
