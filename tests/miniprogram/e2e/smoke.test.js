/** e2e smoke: the board page against the real server, reached through a scanned `q`. */
const h = require('../harness');
const real = require('./real');

real.use();

test('scan q opens the real board with its stewards and offline banner', async () => {
  const code = real.boards()['南门巷'];
  const p = h.page('pages/board/board');
  await p.inst.onLoad({ q: encodeURIComponent(`https://xx.example.gov.cn/b/${code}`) });
  await h.idle();
  expect(p.text()).toContain('王秀英');
  expect(p.text()).toContain('170 0000 0101');
  expect(p.text()).toContain('离线演示模式');
});
