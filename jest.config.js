/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // NOTE: ts-jest transpiles each file alone (isolatedModules in tsconfig.test.json): fast, no type checking inside jest; `npm run typecheck`
  // checks types once. Not @swc/jest / jest 30: their native optional binaries for other platforms are missing from
  // this project's registry mirror, which makes `npm ci` reject any lock file that lists them (npm/cli#8805).
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }] },
  globalSetup: '<rootDir>/test/setup/globalSetup.ts',
  globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
