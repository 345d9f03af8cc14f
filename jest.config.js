/**
 * Jest: two projects. `unit` renders each page with miniprogram-simulate against stubbed
 * wx.* calls; `e2e` starts the real Flask app (tests/miniprogram/e2e/global-setup.js) and
 * bridges wx.request / uploadFile / downloadFile to it over real HTTP.
 */

// One zone for every run, and not Asia/Shanghai: the mini program must count days in
// Asia/Shanghai whatever the phone's zone (utils/period.js), and a developer's machine in
// China would otherwise pass a test that CI, in UTC, fails. Workers inherit this.
process.env.TZ = 'UTC';

const common = {
  testEnvironment: 'jsdom',
  rootDir: __dirname,
  moduleDirectories: ['node_modules', 'miniprogram_npm'],
  transform: { '\\.js$': 'babel-jest' },
  transformIgnorePatterns: ['/node_modules/'],
  setupFilesAfterEnv: ['<rootDir>/tests/miniprogram/setup.js'],
};

module.exports = {
  // The first test of a file compiles its page's WXML with wcc: seconds on a busy 2-core CI
  // machine. A generous limit keeps a slow machine from failing a correct page. It must sit
  // here: jest-circus reads testTimeout from the global config only, and inside `projects`
  // it was ignored (tests failed at jest's default 5 s while other suites loaded the machine).
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/tests/miniprogram/unit/**/*.test.js'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/miniprogram/e2e/**/*.test.js'],
      globalSetup: '<rootDir>/tests/miniprogram/e2e/global-setup.js',
      globalTeardown: '<rootDir>/tests/miniprogram/e2e/global-teardown.js',
    },
  ],
};
