/**
 * Suites run side by side in jest's workers, so each must have emulator ports of its own: every
 * `testEmulatorPort(<base>)` of a suite names a block of ten (45000 to 45990) that no other suite
 * uses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const TESTS = __dirname;

/** Every test file under __tests__/, relative to it. */
function testFiles(): string[] {
  return (fs.readdirSync(TESTS, { recursive: true }) as string[]).filter((file) => file.endsWith('.test.ts')).sort();
}

test('no two suites use the same block of emulator ports, and every block lies in 45000 to 45999', () => {
  const owners = new Map<number, string>();
  const clashes: string[] = [];
  for (const file of testFiles()) {
    const bases = [...fs.readFileSync(path.join(TESTS, file), 'utf8').matchAll(/testEmulatorPort\((\d+)\)/g)].map((m) => Number(m[1]));
    for (const block of new Set(bases.map((base) => Math.floor(base / 10) * 10))) {
      const owner = owners.get(block);
      if (owner !== undefined && owner !== file) clashes.push(`${block}: ${owner} and ${file}`);
      owners.set(block, file);
    }
    expect({ file, outside: bases.filter((base) => base < 45000 || base > 45990 || base % 10 !== 0) }).toEqual({ file, outside: [] });
  }
  expect(clashes).toEqual([]);
  // The suites that reach the emulator are found, so a pass means something.
  expect(owners.size).toBeGreaterThan(10);
});
