#!/usr/bin/env node
/**
 * `make screenshots`: pictures of the mini program's pages in every state shot, for people to
 * look at (nobody can open WeChat DevTools on these machines).
 *
 * 1. tdesign copied into miniprogram_npm/ (as for the tests);
 * 2. jest runs scripts/miniprogram/shots/pages.shots.js: each page loaded with
 *    miniprogram-simulate against the real Flask demo (or the scripted server for empty,
 *    error and loading states) and written as standalone HTML per screen width;
 * 3. scripts/miniprogram/shots/shoot.py photographs each in Debian's Chromium (375×812 and
 *    320×568, device scale 2) and writes the contact sheet index.html.
 *
 * Output: instance/screenshots/mp/<page>-<state>-<width>.png (MP_SHOTS_DIR to change).
 * MP_SHOTS_ONLY=<regexp> shoots only the shot groups whose name matches (e.g. 'board').
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(process.env.MP_SHOTS_DIR || path.join(ROOT, 'instance', 'screenshots', 'mp'));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, MP_SHOTS_DIR: OUT } });

if (!process.env.MP_SHOTS_ONLY) fs.rmSync(OUT, { recursive: true, force: true });
run(process.execPath, [path.join(__dirname, 'build-npm.js')]);
run(process.execPath, [require.resolve('jest/bin/jest'), '-c', path.join(__dirname, 'shots', 'jest.config.js')]);
run(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(__dirname, 'shots', 'shoot.py'), OUT]);
