/** A kubectl call that never reached the cluster endpoint is reported as where the API is and which runner reaches it. */
import { kubectlFailure } from '../bdda/engines/kubectl';
import { loadEnvironment } from '../config/load';
import { REPO_ROOT } from './support/scratch';

const TIMEOUT =
  'Unable to connect to the server: dial tcp 10.100.8.12:443: i/o timeout\nerror: unable to recognize "https://ABC123.gr7.us-east-1.eks.amazonaws.com/api"';

test('a timeout to a private API names the endpoint, that it is private, and the runner label', () => {
  const { config } = loadEnvironment(REPO_ROOT, 'prod/us1');
  const message = kubectlFailure(config, 'kubectl diff against prod-us1', TIMEOUT).message;
  expect(message).toMatch(
    /^kubectl diff against prod-us1 failed: the Kubernetes API at https:\/\/ABC123\.gr7\.us-east-1\.eks\.amazonaws\.com could not be reached/,
  );
  expect(message).toMatch(/The API is private .* runner labelled bdda-prod-us1/);
  expect(message).not.toContain('\n');
});

test('a refused connection to a public API names the CIDRs it is open to', () => {
  const { config } = loadEnvironment(REPO_ROOT, 'stg1');
  expect(kubectlFailure(config, 'kubectl apply', 'dial tcp 1.2.3.4:443: connect: connection refused').message).toMatch(/public only to 203\.0\.113\.0\/24/);
});

test("any other failure keeps kubectl's own words", () => {
  const { config } = loadEnvironment(REPO_ROOT, 'prod/us1');
  expect(kubectlFailure(config, 'kubectl apply', 'error: forbidden\n').message).toBe('kubectl apply failed: error: forbidden');
});
