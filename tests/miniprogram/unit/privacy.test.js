/**
 * Privacy as WeChat requires since 2023: the privacy check is on (app.json), the 隐私说明 page
 * says what is collected, why, who sees it, how long it is kept and how to delete it, and 我的
 * links to it. (The popup answering wx.onNeedPrivacyAuthorization is proved on the report
 * form, report.test.js, where photos and location are asked for.)
 */
const fs = require('fs');
const path = require('path');
const h = require('../harness');
const { fakeServer } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

test('app.json turns the privacy check on and registers the privacy page', () => {
  const app = JSON.parse(fs.readFileSync(path.join(h.MP, 'app.json'), 'utf8'));
  expect(app.__usePrivacyCheck__).toBe(true);
  expect(app.pages).toContain('pages/privacy/privacy');
});

test('the privacy page answers what, why, who sees it, how long, how to delete', () => {
  const p = h.page('pages/privacy/privacy');
  const text = p.text();
  for (const heading of ['我们收集什么、为什么', '谁能看到', '保存多久', '怎样删除或更正']) expect(text).toContain(heading);
  expect(text).toContain('只有负责这条街巷的管家和社区工作人员能看到');
  expect(text).toContain('不会自动删除');
  expect(text).toContain('撤销这条反映');
});

test('我的 links to the privacy page', async () => {
  server.route('GET', '/me', fx.me()).route('GET', '/issues', fx.page([])).route('GET', '/wishes', fx.page([]));
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  expect(p.text()).toContain('隐私说明');
  p.inst.onGo({ currentTarget: { dataset: { url: '/pages/privacy/privacy' } } });
  expect(h.callsOf('navigateTo').pop().url).toBe('/pages/privacy/privacy');
});

test('every page that calls a private API (photos, location, scan, clipboard) carries the privacy popup', () => {
  // WeChat keeps one privacy listener for the app: a page without its own popup would leave
  // the call waiting on another page's hidden popup.
  const app = JSON.parse(fs.readFileSync(path.join(h.MP, 'app.json'), 'utf8'));
  const pages = [...app.pages, ...app.subpackages.flatMap((s) => s.pages.map((pg) => `${s.root}/${pg}`))];
  const PRIVATE = /photo-picker|wx\.(chooseMedia|chooseLocation|getLocation|scanCode|setClipboardData)\(/;
  const using = pages.filter((rel) => ['.js', '.wxml'].some((ext) => PRIVATE.test(fs.readFileSync(path.join(h.MP, rel + ext), 'utf8'))));
  expect(using.length).toBeGreaterThanOrEqual(10);
  const missing = using.filter((rel) => {
    const json = JSON.parse(fs.readFileSync(path.join(h.MP, `${rel}.json`), 'utf8'));
    const wxml = fs.readFileSync(path.join(h.MP, `${rel}.wxml`), 'utf8');
    return !(json.usingComponents || {})['privacy-popup'] || !wxml.includes('<privacy-popup');
  });
  expect(missing).toEqual([]);
});
