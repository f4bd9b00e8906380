/**
 * A snapshot of every shipped environment × layer. FLAG and KARR are synthesized through the
 * app, so KARR's reads of FLAG appear as the remote state they really become.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listEnvironments, loadEnvironment } from '../config/load';
import { writeLayerApps } from '../bdda/workflow/synth-apps';
import { manifestFile, terraformDir } from '../bdda/workflow/synth-output';
import { REPO_ROOT } from './support/scratch';

let out: string;
beforeAll(() => (out = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-snapshots-'))));
afterAll(() => out && fs.rmSync(out, { recursive: true, force: true }));

describe.each(listEnvironments(REPO_ROOT).map((ref) => ref.path))('%s', (envPath) => {
  let synth: ReturnType<typeof writeLayerApps>;
  beforeAll(() => (synth = writeLayerApps(loadEnvironment(REPO_ROOT, envPath), path.join(out, envPath))));

  test('FLAG', () => {
    expect(JSON.parse(fs.readFileSync(path.join(terraformDir(synth, 'flag'), 'cdk.tf.json'), 'utf8'))).toMatchSnapshot();
  });

  test('KARR', () => {
    expect(JSON.parse(fs.readFileSync(path.join(terraformDir(synth, 'karr'), 'cdk.tf.json'), 'utf8'))).toMatchSnapshot();
  });

  test('GOLIATH', () => {
    expect(fs.readFileSync(manifestFile(synth, 'goliath'), 'utf8')).toMatchSnapshot();
  });
});
