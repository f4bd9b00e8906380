/**
 * Goliath on a live cluster checks the machine before asking kubectl anything: the AWS CLI that
 * the kubeconfig runs for a token, and a kubectl within one minor of the cluster's Kubernetes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BddaError } from '../config/errors';
import { checkKubectlSkew, checkLiveTools } from '../bdda/engines/live-tools';

const FAKE_KUBECTL = path.join(__dirname, 'support', 'fake-kubectl.js');

describe('the tools of a live Goliath run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-live-tools-'));
  const aws = path.join(dir, 'aws');
  const saved = { ...process.env };

  beforeAll(() => {
    fs.writeFileSync(aws, '#!/bin/sh\necho "aws-cli/2.27.0"\n', { mode: 0o755 });
    Object.assign(process.env, { KUBECTL_BINARY: FAKE_KUBECTL, FAKE_KUBECTL_DIR: dir, AWS_CLI_BINARY: aws, FAKE_KUBECTL_VERSION: 'v1.35.1' });
  });

  afterAll(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl one minor either side of the cluster is accepted', () => {
    for (const client of ['v1.30.4', 'v1.31.0', 'v1.32.2']) expect(() => checkKubectlSkew('kubectl', client, 'prod-us1', '1.31')).not.toThrow();
  });

  test('kubectl two minors away is refused, naming the binary, both versions and what to install', () => {
    const check = () => checkKubectlSkew('/usr/local/bin/kubectl', 'v1.28.3', 'prod-us1', '1.31');
    expect(check).toThrow(BddaError);
    expect(check).toThrow(/"\/usr\/local\/bin\/kubectl"\) is v1\.28\.3, but prod-us1 runs Kubernetes 1\.31/);
    expect(check).toThrow(/Install kubectl 1\.30, 1\.31, 1\.32 .*KUBECTL_BINARY/);
  });

  test('the installed kubectl is asked for its version', async () => {
    await expect(checkLiveTools('staging-stg1', '1.35')).resolves.toBeUndefined();
    await expect(checkLiveTools('staging-stg1', '1.33')).rejects.toThrow(
      /kubectl \(".*fake-kubectl\.js"\) is v1\.35\.1, but staging-stg1 runs Kubernetes 1\.33/,
    );
  });

  test('a machine without the AWS CLI is told to install it, before kubectl is asked anything', async () => {
    process.env.AWS_CLI_BINARY = path.join(dir, 'no-such-aws');
    fs.rmSync(path.join(dir, 'calls.log'), { force: true });
    await expect(checkLiveTools('staging-stg1', '1.35')).rejects.toThrow(
      /The AWS CLI \(".*no-such-aws"\) was not found\. kubectl logs in to staging-stg1 through it .*Install AWS CLI v2/,
    );
    expect(fs.existsSync(path.join(dir, 'calls.log'))).toBe(false);
    process.env.AWS_CLI_BINARY = aws;
  });
});
