#!/usr/bin/env node
/**
 * Compiles every .wxml (and .wxs) file of the mini program with WeChat's own wcc, and every
 * .wxss file with wcsc (both from miniprogram-compiler), the way DevTools does before upload.
 * Fails with the compiler's message on the first error. Includes miniprogram_npm (run the
 * npm copy first) so the tdesign files our pages use are checked too.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const MP = path.join(ROOT, 'miniprogram');
const BIN = path.join(ROOT, 'node_modules', 'miniprogram-compiler', 'bin', process.platform === 'darwin' ? 'mac' : 'linux');

/** @param {string} dir @returns {string[]} paths relative to MP */
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? walk(p) : [path.relative(MP, p).split(path.sep).join('/')];
  });
}

/** @param {string} file relative .wxml/.wxss path @returns {any} its component json, if any */
function jsonOf(file) {
  const p = path.join(MP, file.replace(/\.(wxml|wxss)$/, '.json'));
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')) : null;
}

/** @param {string} tool @param {string[]} args */
function run(tool, args) {
  const exe = path.join(BIN, tool);
  fs.chmodSync(exe, 0o755); // npm may unpack them without the executable bit
  const r = spawnSync(exe, args, { cwd: MP, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`check-wx: ${tool} failed:\n${r.stderr.toString()}`);
    process.exit(1);
  }
  return r.stdout.length;
}

const files = walk(MP);
const wxml = files.filter((f) => f.endsWith('.wxml'));
const wxs = files.filter((f) => f.endsWith('.wxs'));
const wxss = files.filter((f) => f.endsWith('.wxss'));

/** @type {(string|number)[]} */
const comp = [];
let count = 0;
for (const f of wxml) {
  const using = Object.keys((jsonOf(f) || {}).usingComponents || {});
  if (using.length) {
    comp.push(f, using.length, ...using);
    count += 1;
  }
}
run('wcc', ['-d', '-cc', [count, ...comp].join(' '), ...wxml, ...wxs, '-gn', '$gwx']);

const compWxss = wxss.filter((f) => jsonOf(f));
const pageWxss = wxss.filter((f) => !jsonOf(f));
run('wcsc', ['-db', '-pc', String(compWxss.length), ...compWxss, ...pageWxss, 'app.wxss'].filter((v, i, a) => a.indexOf(v) === i));

const ours = (/** @type {string[]} */ list) => list.filter((f) => !f.startsWith('miniprogram_npm/')).length;
console.log(`check-wx: wcc compiled ${wxml.length} .wxml (${ours(wxml)} ours) and ${wxs.length} .wxs; wcsc compiled ${wxss.length} .wxss (${ours(wxss)} ours): no errors`);
