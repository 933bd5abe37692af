// NOTE: ts-jest transpiles each file alone (isolatedModules in tsconfig.test.json): fast, no type checking inside jest;
// `npm run typecheck` checks types once. Not @swc/jest / jest 30: their native optional binaries for other platforms
// are missing from this project's registry mirror, which makes `npm ci` reject any lock file that lists them
// (npm/cli#8805).
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }] },
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  // NOTE: a global option (jest ignores it inside a project): the integration tests start hosts and servers.
  testTimeout: 60000,
  projects: [
    {
      // No server, no child process, no built dist: `npm run test:unit`, seconds.
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit'],
    },
    {
      // Against real parts: Azurite (started once here), the ACS emulator, the local Functions host, built code.
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/setup/globalSetup.ts',
      globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
    },
  ],
};
