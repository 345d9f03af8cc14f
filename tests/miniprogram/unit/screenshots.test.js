/**
 * The screenshot serialiser (scripts/miniprogram/shots/serialise.js): a small known tree must
 * come out as the HTML a browser draws like WeChat would, so `make screenshots` cannot
 * silently start showing something else than the page.
 */
const h = require('../harness');
const { fakeServer } = require('../fake-server');
const { treeFromDom, pageHtml, nodeHtml, wxssToCss } = require('../../../scripts/miniprogram/shots/serialise');

const TREE = {
  tag: 'main',
  attrs: {},
  children: [
    { tag: 'wx-view', attrs: { class: 'main--card', style: 'padding: 24rpx' }, children: ['南门巷'] },
    { tag: 'wx-input', attrs: { class: 'main--input', placeholder: '联系电话', value: '170' }, children: [] },
    { tag: 'wx-view', attrs: { hidden: true }, children: ['看不见'] },
    { tag: 'wx-button', attrs: { type: 'primary', disabled: true }, children: ['提交'] },
    { tag: 'offline-banner', attrs: {}, children: [{ tag: 'wx-text', attrs: {}, children: ['a<b'] }] },
  ],
};

test('wx tags become HTML elements, inline rpx becomes px at the screen width', () => {
  expect(nodeHtml(TREE, 375)).toBe(
    '<div>'
    + '<div class="wx-view main--card" style="padding: 12px">南门巷</div>'
    + '<input class="wx-input main--input" placeholder="联系电话" value="170">'
    + '<div class="wx-view" style="display:none;">看不见</div>'
    + '<button class="wx-button" data-type="primary" disabled>提交</button>'
    + '<offline-banner><span class="wx-text">a&lt;b</span></offline-banner>'
    + '</div>',
  );
  expect(nodeHtml(TREE.children[0], 320)).toContain('style="padding: 10.24px"');
});

test('the page inlines the WXSS with rpx in px, page as body, and draws the title and the last toast', () => {
  const html = pageHtml({
    tree: TREE, width: 375, title: '反映问题', overlay: { kind: 'toast', title: '请选择问题类别', icon: 'none' },
    css: ['page{font-size:34rpx}.main--card{margin:0 24rpx;border-radius:16rpx}'],
  });
  expect(html).toContain('body{font-size:17px}.main--card{margin:0 12px;border-radius:8px}');
  expect(html).toContain('<span>反映问题</span>');
  expect(html).toContain('<div class="mp-toast">请选择问题类别</div>');
  expect(html).toContain('<div class="wx-view main--card" style="padding: 12px">南门巷</div>');
  expect(wxssToCss('.main--page{padding:24rpx}', 750)).toBe('.main--page{padding:24px}');
});

test('a rendered page keeps its prefixed classes and the built-ins’ attributes', async () => {
  const server = fakeServer();
  server.reset();
  h.transport = server.transport;
  server.route('GET', '/boards/ABCD2345', { status: 200, body: { code: 'ABCD2345', alley: { id: 9, name: '南门巷' }, path_label: '' } });
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  const html = nodeHtml(treeFromDom(p.comp.dom), 375);
  expect(html).toMatch(/<textarea class="wx-textarea main--textarea" placeholder="[^"]+">/);
  expect(html).toContain('<div class="wx-view main--cat-name">环境卫生</div>');
  expect(html).toContain('<photo-picker><div class="wx-view photo-picker--picker">');
});
