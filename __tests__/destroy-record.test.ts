/**
 * The deployment record of a destroy: one that fails part-way is recorded, marked failed, with the
 * layers it removed; one refused before anything went records nothing. Fake engines and an
 * in-memory state bucket: no terraform, no emulator.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../config/load';
import type { Layer } from '../config/naming';
import type { LayerEngine } from '../bdda/layers/engine';
import { currentDeployment, recordingDestroy } from '../bdda/ledger/records';
import { silentProgress } from '../bdda/support/progress';
import { destroyAll } from '../bdda/workflow/destroy';
import type { PlanContext } from '../bdda/workflow/plan-context';
import { memoryBackend } from './support/memory-backend';
import { captureConsole, restoreEnv } from './support/cli-harness';
import { REPO_ROOT } from './support/scratch';

const env = loadEnvironment(REPO_ROOT, 'dev2');
let root: string;
const savedUser = process.env.BDDA_USER;
const captured = captureConsole();

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-destroy-record-'));
  process.env.BDDA_USER = 'carol';
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  restoreEnv('BDDA_USER', savedUser);
});

/** An engine whose destroy succeeds, or fails with `failure`. */
function engine(layer: Layer, failure?: string): LayerEngine {
  const label = layer.toUpperCase();
  return {
    layer,
    label,
    planDestroy: async () => ({
      layer,
      deployed: true,
      listing: `  ${label}: 0 to add, 0 to change, 3 to destroy.\n  # a will be destroyed`,
      progressNote: 'destroying',
    }),
    destroy: async () => {
      if (failure) throw new Error(`${failure}\nmore detail`);
    },
  } as unknown as LayerEngine;
}

function context() {
  const { backend } = memoryBackend();
  const ctx = {
    ws: { root, buildDir: path.join(root, 'build'), emulatorDir: path.join(root, '.bdda') },
    env,
    target: { backend },
    progress: silentProgress,
  } as unknown as PlanContext;
  return { ctx, backend };
}

test('a destroy that fails part-way writes a failed record with the layers it removed', async () => {
  const { ctx, backend } = context();
  const engines = [engine('goliath'), engine('karr', 'terraform destroy in build/dev/dev2/stacks/karr failed (exit 1):'), engine('flag')];
  await expect(recordingDestroy(ctx, {}, (done) => destroyAll(ctx, true, done, engines))).rejects.toThrow(/stacks\/karr failed/);
  const record = await currentDeployment(backend, env.path);
  expect(record).toMatchObject({
    operation: 'destroy',
    status: 'failed',
    who: 'carol',
    error: 'terraform destroy in build/dev/dev2/stacks/karr failed (exit 1):',
    layers: [{ layer: 'goliath', summary: 'GOLIATH: 0 to add, 0 to change, 3 to destroy.' }],
  });
});

test('a destroy that completes writes a succeeded record', async () => {
  const { ctx, backend } = context();
  const engines = [engine('goliath'), engine('karr'), engine('flag')];
  await expect(recordingDestroy(ctx, {}, (done) => destroyAll(ctx, true, done, engines))).resolves.toBe('destroyed');
  expect(captured.logs.join('\n')).toContain('These will be destroyed in dev/dev2:');
  expect(await currentDeployment(backend, env.path)).toMatchObject({ operation: 'destroy', status: 'succeeded' });
});

test('a destroy refused before anything went records nothing', async () => {
  const { ctx, backend } = context();
  await expect(
    recordingDestroy(ctx, {}, async () => {
      throw new Error('destroy of dev/dev2 was not confirmed. Nothing was destroyed.');
    }),
  ).rejects.toThrow(/not confirmed/);
  expect(await currentDeployment(backend, env.path)).toBeUndefined();
});
