/** `--shard i/n`: a deterministic split of the environment list, and its one-paragraph errors. */
import { parseShard, selectShard } from '../bdda/ci/shard';
import { BddaError } from '../config/errors';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { makeScratch, removeScratch } from './support/scratch';

const captured = captureConsole();
let root: string;
const saved = process.env.BDDA_ROOT;
beforeAll(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
});
afterAll(() => {
  removeScratch(root);
  restoreEnv('BDDA_ROOT', saved);
});

test('i/n parses into a 1-based index and a count', () => {
  expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
});

test.each(['0/4', '5/4', '1/0', 'a/b', '1-4', '', '2/4/1', '-1/4'])('%j is refused with a message saying what a shard is', (text) => {
  expect(() => parseShard(text)).toThrow(BddaError);
  expect(() => parseShard(text)).toThrow(/is not a shard: give i\/n with whole numbers 1 <= i <= n, e\.g\. --shard 2\/4/);
});

test('the shards of a list are disjoint, cover it, keep its order, and differ in size by at most one', () => {
  const items = Array.from({ length: 11 }, (_, i) => `env${String(i).padStart(2, '0')}`);
  const shards = [1, 2, 3].map((index) => selectShard(items, { index, count: 3 }));
  expect(shards.flat().sort()).toEqual(items);
  expect(new Set(shards.flat()).size).toBe(items.length);
  for (const shard of shards) expect([...shard].sort()).toEqual(shard);
  expect(shards.map((s) => s.length)).toEqual([4, 4, 3]);
  expect(selectShard(items, { index: 2, count: 3 })).toEqual(shards[1]);
});

test('plan --all --shard with a bad shard exits 1 with the one-paragraph error and plans nothing', async () => {
  expect(await runCli(captured, 'plan', '--all', '--shard', '5/4')).toBe(1);
  expect(captured.errors).toEqual([expect.stringMatching(/^Error: --shard "5\/4" is not a shard: .*exactly one of the n shards\.$/)]);
});

test('plan --shard with one environment is refused: a shard splits the list of --all', async () => {
  expect(await runCli(captured, 'plan', '--env', 'dev2', '--shard', '1/2')).toBe(1);
  expect(captured.errors.join('\n')).toMatch(/--shard i\/n splits the list of --all; pass it with --all, not with --env\./);
});
