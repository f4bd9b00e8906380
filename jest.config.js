/** Jest runs the TypeScript sources directly; type checking is `npm run typecheck`'s job. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Suites that run the real terraform need more than the 5 s default.
  testTimeout: 600000,
  // One suite at a time: several emulators and terraform runs at once starve a 2-core machine.
  maxWorkers: 1,
};
