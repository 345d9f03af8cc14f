#!/usr/bin/env node
/**
 * Package sizes as WeChat counts them: the main package is everything under miniprogram/
 * outside the subpackage roots of app.json (miniprogram_npm included); each subpackage is its
 * root. Prints them and fails when the main package or a subpackage is over 2 MB.
 */
const fs = require('fs');
const path = require('path');

const MP = path.resolve(__dirname, '..', '..', 'miniprogram');
const LIMIT = 2 * 1024 * 1024;
const app = JSON.parse(fs.readFileSync(path.join(MP, 'app.json'), 'utf8'));
const roots = (app.subpackages || app.subPackages || []).map((/** @type {any} */ s) => s.root.replace(/\/$/, ''));

/** @param {string} dir @returns {number} bytes */
function size(dir, skip = /** @type {string[]} */ ([])) {
  let total = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (skip.includes(path.relative(MP, p))) continue;
    total += d.isDirectory() ? size(p, skip) : fs.statSync(p).size;
  }
  return total;
}

const kb = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KB`;
if (!fs.existsSync(path.join(MP, 'miniprogram_npm'))) {
  console.error('check-size: miniprogram/miniprogram_npm is missing; run the npm copy first (npm run build:npm)');
  process.exit(1);
}
const main = size(MP, roots);
let failed = main > LIMIT;
console.log(`check-size: main package ${kb(main)} (limit 2048 KB)`);
for (const r of roots) {
  const s = size(path.join(MP, r));
  console.log(`check-size: subpackage ${r}/ ${kb(s)}`);
  if (s > LIMIT) failed = true;
}
if (failed) {
  console.error('check-size: over the 2 MB limit');
  process.exit(1);
}
