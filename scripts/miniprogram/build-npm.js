#!/usr/bin/env node
/**
 * What WeChat DevTools' 「构建 npm」 does, for the one npm package the mini program uses:
 * copies tdesign-miniprogram's miniprogram_dist into miniprogram/miniprogram_npm/ — but only
 * the components our pages use and what those need (their usingComponents, JS imports, wxs
 * and wxss imports, and the bundled miniprogram_npm packages they import), so the main
 * package stays small. The output is generated and git-ignored.
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const MP = path.join(ROOT, 'miniprogram');
const PKG = 'tdesign-miniprogram';
const SRC = path.join(ROOT, 'node_modules', PKG, 'miniprogram_dist');
const OUT_NPM = path.join(MP, 'miniprogram_npm');
const OUT = path.join(OUT_NPM, PKG);

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'miniprogram_npm' ? [] : walk(p);
    return [p];
  });
}

if (!fs.existsSync(SRC)) {
  console.error(`build-npm: ${SRC} is missing; run npm ci first`);
  process.exit(1);
}

// 1. Entry points: every usingComponents value of ours that names the package.
const entries = new Set();
for (const file of walk(MP).filter((f) => f.endsWith('.json'))) {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const using = Object.assign({}, json.usingComponents, (json.window || {}).usingComponents);
  for (const v of Object.values(using)) {
    const s = String(v).replace(/^\/?miniprogram_npm\//, '');
    if (s.startsWith(`${PKG}/`)) entries.add(path.join(SRC, s.slice(PKG.length + 1)));
  }
}

// 2. Closure over component files and the files they reference.
const files = new Set();
const bare = new Set();
const queue = [];
/** @param {string} p */
const add = (p) => {
  if (fs.existsSync(p) && fs.statSync(p).isFile() && !files.has(p)) {
    files.add(p);
    queue.push(p);
  }
};
/** @param {string} base path without extension */
const addComponent = (base) => ['.js', '.json', '.wxml', '.wxss', '.wxs'].forEach((ext) => add(base + ext));
entries.forEach(addComponent);
while (queue.length) {
  const file = /** @type {string} */ (queue.shift());
  const dir = path.dirname(file);
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    const using = JSON.parse(text).usingComponents || {};
    Object.values(using).forEach((v) => addComponent(path.resolve(dir, String(v))));
  } else if (file.endsWith('.js') || file.endsWith('.wxs')) {
    const re = /(?:from\s*|require\(\s*|import\s*)["']([^"']+)["']/g;
    let m;
    while ((m = re.exec(text))) {
      const spec = m[1];
      if (spec.startsWith('.')) {
        const p = path.resolve(dir, spec);
        [p, `${p}.js`, `${p}.wxs`, path.join(p, 'index.js')].forEach(add);
      } else {
        bare.add(spec.split('/')[0]);
      }
    }
  } else if (file.endsWith('.wxml')) {
    const re = /<(?:import|include|wxs)\b[^>]*\bsrc=["']([^"'{}]+)["']/g;
    let m;
    while ((m = re.exec(text))) add(path.resolve(dir, m[1]));
  } else if (file.endsWith('.wxss')) {
    const re = /@import\s+["']([^"']+)["']/g;
    let m;
    while ((m = re.exec(text))) add(path.resolve(dir, m[1]));
  }
}

// 3. Write: a fresh copy of the closure plus the bundled packages it imports by name.
fs.rmSync(OUT_NPM, { recursive: true, force: true });
let bytes = 0;
for (const file of files) {
  const dest = path.join(OUT, path.relative(SRC, file));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(file, dest);
  bytes += fs.statSync(file).size;
}
for (const name of bare) {
  const src = path.join(SRC, 'miniprogram_npm', name);
  if (!fs.existsSync(src)) continue;
  fs.cpSync(src, path.join(OUT, 'miniprogram_npm', name), { recursive: true });
  bytes += walk(src).reduce((n, f) => n + fs.statSync(f).size, 0);
}
console.log(
  `build-npm: ${entries.size} components used, ${files.size} files + ${[...bare].join(', ') || 'no'} packages copied (${(bytes / 1024).toFixed(0)} KB) into miniprogram/miniprogram_npm/${PKG}`,
);
