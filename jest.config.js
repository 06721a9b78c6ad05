/**
 * Two projects:
 * - `in-process`: everything that runs inside the jest worker (the app through real HTTP and
 *   WebSocket on a local port, the embedded MongoDB in-process, unit tests);
 * - `system`: suites that start other processes (gateway instances, a standalone embedded
 *   MongoDB, redis-server, the dependency-cruiser CLI). Each test file belongs to exactly one project.
 *
 * Without redis-server (and CI not true), the suites that need it are skipped, said in one line:
 * test/setup/. `npx jest --selectProjects in-process` runs the fast part alone.
 */
const SYSTEM_SUITES = ['/test/system/.*\\.test\\.ts$', '/test/architecture/.*\\.test\\.ts$'];
/** Files used by the architecture tests as examples of what the rules reject; never run. */
const NEVER = ['/node_modules/', '/test/architecture/fixtures/'];

/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    // Type checking runs once in `npm run typecheck`; jest only transpiles (much faster).
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['reflect-metadata'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/skip-without-redis.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'in-process',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [...NEVER, ...SYSTEM_SUITES],
    },
    {
      ...common,
      displayName: 'system',
      testRegex: SYSTEM_SUITES,
      testPathIgnorePatterns: NEVER,
      globalSetup: '<rootDir>/test/setup/global-setup.js',
    },
  ],
};
