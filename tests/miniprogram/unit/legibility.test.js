/**
 * 适老化, measured: pages rendered with miniprogram-simulate (real WXML, app.wxss, page and
 * component WXSS, tdesign's empty state and steps) are written as HTML by the screenshot
 * serialiser and measured in Debian's Chromium at 375 px and at 320 px, where rpx are smaller
 * (scripts/miniprogram/shots/measure.py): the computed size of every piece of text and its
 * contrast with what is behind it.
 *
 * - normal mode: no text below 14 px, trail and empty-state text included;
 * - 大字模式: no text below 20 px;
 * - body text (below 24 px; bigger is "large text" to WCAG) has contrast ≥ 4.5:1, except a
 *   disabled button, which is meant to look faded.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const wxss = require('miniprogram-simulate/src/wxss');
const h = require('../harness');
const { fakeServer } = require('../fake-server');
const fx = require('../fixtures');
const { treeFromDom, pageHtml } = require('../../../scripts/miniprogram/shots/serialise');

jest.setTimeout(120000);

// Each page's compiled (class-prefixed) WXSS as miniprogram-simulate makes it, in load order,
// as scripts/miniprogram/shots/pages.shots.js keeps it for the screenshots.
const compile = wxss.compile;
let captured = [];
wxss.compile = (content, options) => {
  const out = compile(content, options);
  captured.push(out);
  return out;
};
const appWxss = wxss.getContent(path.join(h.MP, 'app.wxss'));
const cssByRel = {};
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-legibility-'));
const WIDTHS = [375, 320];
const server = fakeServer();
const written = [];

function open(rel) {
  const first = !cssByRel[rel];
  if (first) captured = [];
  const p = h.page(rel);
  if (first) {
    const css = [compile(appWxss, { prefix: 'main' })];
    const json = JSON.parse(fs.readFileSync(path.join(h.MP, `${rel}.json`), 'utf8'));
    for (const [tag, c] of Object.entries(json.usingComponents || {})) {
      const js = path.join(h.MP, `${c}.js`);
      if (fs.existsSync(js) && /addGlobalClass:\s*true/.test(fs.readFileSync(js, 'utf8'))) css.push(compile(appWxss, { prefix: tag }));
    }
    cssByRel[rel] = [...css, ...captured];
  }
  return p;
}

function write(rel, state, p) {
  for (const width of WIDTHS) {
    const file = path.join(OUT, `${rel.replace(/\//g, '-')}-${state}-${width}.html`);
    fs.writeFileSync(file, pageHtml({ tree: treeFromDom(p.comp.dom), css: cssByRel[rel], title: rel, width, height: 812 }));
    written.push({ file, rel, state, width });
  }
}

const TRAIL = [
  { action: 'create', actor: '反映人', at: '2026-11-22T08:30:00+08:00', label: '反映问题', note: null, photos: [] },
  { action: 'accept', actor: '小巷管家', at: '2026-11-22T09:00:00+08:00', label: '接单', note: null, photos: [] },
  { action: 'resolve', actor: '小巷管家', at: '2026-11-22T15:00:00+08:00', label: '办结', note: '已联系环卫清运', photos: [] },
];

/** Render the pages people read most, in the state given, and write them as HTML. */
async function renderAll(state) {
  server.reset();
  server.route('GET', '/me', fx.me({ roles: ['resident', 'staff', 'steward'], stewards: [{ id: 2, name: '李建国', alley_ids: [9] }] }))
    .route('GET', '/me/workbench', { status: 200, body: { todo: 2, review: 1, overdue: 1 } })
    .route('GET', '/issues', fx.page([fx.issue()]))
    .route('GET', '/wishes', fx.page([]))
    .route('GET', '/issues/7', { status: 200, body: fx.issue({ status: 'resolved', status_label: '已办结', resolution_note: '已联系环卫清运', outcome_label: '已解决', timeline: TRAIL }) })
    .route('GET', '/issues/8', { status: 200, body: fx.issue({ id: 8, actions: ['resolve', 'escalate', 'comment'] }) })
    .route('GET', '/reply-templates', { status: 200, body: { items: [] } })
    .route('GET', '/wishes/5', { status: 200, body: fx.wish() });
  const mine = open('pages/mine/mine');
  await mine.inst.onLoad();
  await h.idle();
  mine.inst.onTab({ currentTarget: { dataset: { tab: 'wishes' } } }); // the empty state (t-empty)
  write('pages/mine/mine', state, mine);
  const item = open('pages/issue/issue');
  await item.inst.onLoad({ id: '7' });
  await h.idle();
  write('pages/issue/issue', state, item);
  const steward = open('steward/issue/issue');
  await steward.inst.onLoad({ id: '8' });
  await h.idle();
  write('steward/issue/issue', state, steward);
  const work = open('pages/work/work');
  await work.inst.onLoad();
  await h.idle();
  write('pages/work/work', state, work);
  const wish = open('pages/wish-item/wish-item');
  await wish.inst.onLoad({ id: '5' });
  await h.idle();
  write('pages/wish-item/wish-item', state, wish);
}

let measured = {};
beforeAll(async () => {
  h.transport = server.transport;
  await renderAll('normal');
  h.storage.set('largeText', true);
  await renderAll('large');
  const py = path.join(h.ROOT, '.venv', 'bin', 'python');
  const script = path.join(h.ROOT, 'scripts', 'miniprogram', 'shots', 'measure.py');
  for (const width of WIDTHS) {
    const files = written.filter((w) => w.width === width).map((w) => w.file);
    Object.assign(measured, JSON.parse(execFileSync(py, [script, String(width), ...files], { maxBuffer: 64 * 1024 * 1024 }).toString()));
  }
});
afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

const texts = (state) => written.filter((w) => w.state === state).flatMap((w) => measured[w.file].map((t) => ({ ...t, page: w.rel, width: w.width })));
const show = (t) => `${t.page}@${t.width} «${t.text}» ${t.px}px ${t.color} on ${t.background} (${t.contrast}:1) .${t.cls}`;

test('the pages were rendered with their trail, empty state and buttons', () => {
  const all = texts('normal').map((t) => t.text).join(' ');
  for (const words of ['您还没有提交过心愿', '已联系环卫清运', '小巷管家', '办结结果', '社区工作台']) expect(all).toContain(words);
});

test('normal mode: no text below 14 px, the trail and the empty state included', () => {
  expect(texts('normal').filter((t) => t.px < 14).map(show)).toEqual([]);
});

test('大字模式: no text below 20 px', () => {
  expect(texts('large').filter((t) => t.px < 20).map(show)).toEqual([]);
});

test('body text has contrast of at least 4.5:1 with what is behind it', () => {
  const body = [...texts('normal'), ...texts('large')].filter((t) => t.px < 24 && !t.disabled);
  expect(body.filter((t) => t.contrast < 4.5).map(show)).toEqual([]);
});
