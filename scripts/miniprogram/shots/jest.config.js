/**
 * jest configuration for `make screenshots` only (scripts/miniprogram/screenshots.js): the
 * mini program test setup and the e2e global setup (the real Flask demo), running
 * pages.shots.js, which is not a test and is never matched by `npm test`.
 */
const path = require('path');
const base = require('../../../jest.config.js');

const unit = base.projects[0];
const e2e = base.projects[1];

module.exports = {
  rootDir: path.resolve(__dirname, '..', '..', '..'),
  testEnvironment: unit.testEnvironment,
  moduleDirectories: unit.moduleDirectories,
  transform: unit.transform,
  transformIgnorePatterns: unit.transformIgnorePatterns,
  setupFilesAfterEnv: unit.setupFilesAfterEnv,
  globalSetup: e2e.globalSetup,
  globalTeardown: e2e.globalTeardown,
  testMatch: ['<rootDir>/scripts/miniprogram/shots/pages.shots.js'],
  testTimeout: 120000,
};
