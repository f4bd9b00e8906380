/**
 * Suites run side by side in jest's workers, so each must have emulator ports of its own: every
 * `testEmulatorPort(<base>)` of a suite names a block of ten (25000 to 25990) that no other suite
 * uses, below the ports the kernel hands to outgoing connections.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const TESTS = __dirname;
const LOWEST = 25000;
const HIGHEST = 25990;

/** Every test file under __tests__/, relative to it. */
function testFiles(): string[] {
  return (fs.readdirSync(TESTS, { recursive: true }) as string[]).filter((file) => file.endsWith('.test.ts')).sort();
}

test('no two suites use the same block of emulator ports, and every block lies in 25000 to 25999', () => {
  const owners = new Map<number, string>();
  const clashes: string[] = [];
  for (const file of testFiles()) {
    const bases = [...fs.readFileSync(path.join(TESTS, file), 'utf8').matchAll(/testEmulatorPort\((\d+)\)/g)].map((m) => Number(m[1]));
    for (const block of new Set(bases.map((base) => Math.floor(base / 10) * 10))) {
      const owner = owners.get(block);
      if (owner !== undefined && owner !== file) clashes.push(`${block}: ${owner} and ${file}`);
      owners.set(block, file);
    }
    expect({ file, outside: bases.filter((base) => base < LOWEST || base > HIGHEST || base % 10 !== 0) }).toEqual({ file, outside: [] });
  }
  expect(clashes).toEqual([]);
  // The suites that reach the emulator are found, so a pass means something.
  expect(owners.size).toBeGreaterThan(10);
});

test("the suites' ports lie below the kernel's ephemeral range, so no outgoing connection holds one", () => {
  const range = '/proc/sys/net/ipv4/ip_local_port_range';
  // Linux's default range starts at 32768; a machine configured lower is checked as it is.
  const first = fs.existsSync(range) ? Number(fs.readFileSync(range, 'utf8').trim().split(/\s+/)[0]) : 32768;
  const offset = Number(process.env.BDDA_TEST_PORT_OFFSET ?? 0);
  expect(HIGHEST + 9 + offset).toBeLessThan(first);
});
