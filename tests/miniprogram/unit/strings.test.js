/** Every text a person reads in our WXML is Chinese (no English words left in the templates). */
const fs = require('fs');
const path = require('path');
const h = require('../harness');

const ALLOWED = new Set(['dev', 'Excel']);

function wxmlFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'miniprogram_npm' ? [] : wxmlFiles(p);
    return p.endsWith('.wxml') ? [p] : [];
  });
}

test.each(wxmlFiles(h.MP).map((f) => [path.relative(h.MP, f), f]))('%s has no English text', (_, file) => {
  const src = fs.readFileSync(file, 'utf8');
  const text = src.replace(/<[^>]*>/g, ' ').replace(/\{\{[^}]*\}\}/g, ' ');
  const placeholders = [...src.matchAll(/placeholder="([^"]*)"/g)].map((m) => m[1]).join(' ');
  const words = `${text} ${placeholders}`.replace(/[A-Z0-9]*[0-9][A-Z0-9]*/g, ' ').match(/[A-Za-z]{2,}/g) || [];
  expect(words.filter((w) => !ALLOWED.has(w))).toEqual([]);
});
