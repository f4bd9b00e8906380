/**
 * Three tiers of tests, told apart by folder under __tests__/ (support/ is shared by all):
 *
 * - unit: `__tests__/*.test.ts`, every suite that starts no terraform (some start the emulator),
 *   and e2e: `__tests__/e2e/`, the one end-to-end path through the real terraform; both are
 *   `npm test`.
 * - integration: `__tests__/integration/`, behaviour against the real terraform and the
 *   emulator: `npm run test:integration`.
 * - soak: `__tests__/soak/`, loops, signals and kills: `npm run test:soak`, nightly.
 *
 * Jest runs the TypeScript sources directly; type checking is `npm run typecheck`'s job.
 */
const tier = (displayName, folder) => ({
  displayName,
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/__tests__'],
  testMatch: [`<rootDir>/__tests__/${folder}*.test.ts`],
  transform: { '^.+\\.ts$': 'ts-jest' },
});

module.exports = {
  projects: [tier('unit', ''), tier('e2e', 'e2e/'), tier('integration', 'integration/'), tier('soak', 'soak/')],
  // Suites that run the real terraform need more than the 5 s default.
  testTimeout: 600000,
  // Each suite has emulator ports of its own (testEmulatorPort), so suites run side by side, one
  // per core; the npm scripts say how many.
  maxWorkers: '100%',
};
