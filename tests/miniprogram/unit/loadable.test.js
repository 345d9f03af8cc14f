/**
 * behaviors/loadable: the loading / pull-to-refresh / error scaffold the list and item pages
 * share. A page made of the Behavior alone, whose load() runs a fetch the test settles.
 */
const fs = require('fs');
const path = require('path');
const simulate = require('miniprogram-simulate');
const h = require('../harness');
const { ApiError } = require('../../../miniprogram/utils/api');
const loadable = require('../../../miniprogram/behaviors/loadable');

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const TEMPLATE = `
<view wx:if="{{state === 'loading'}}">正在加载…</view>
<view wx:if="{{error}}">{{error}}</view>
<view wx:if="{{state === 'ready'}}">内容：{{text}}</view>`;

/**
 * A page whose load() hands each fetch to the test (`pending`), with the given options.
 * @param {object} [how] loadWith's options
 */
function page(how) {
  const pending = [];
  const id = simulate.load({
    template: TEMPLATE,
    behaviors: [loadable],
    data: { text: '' },
    methods: {
      load() {
        return this.loadWith(() => {
          const d = deferred();
          pending.push(d);
          return d.promise;
        }, how);
      },
    },
  });
  const comp = simulate.render(id);
  comp.attach(document.createElement('parent-wrapper'));
  return {
    inst: comp.instance,
    data: () => comp.data,
    text: () => comp.dom.textContent.replace(/\s+/g, ' ').trim(),
    /** the fetch of the latest load, for the test to settle */
    next: () => pending[pending.length - 1],
  };
}

const denied = () => new ApiError(403, 'forbidden', '只有社区工作人员可以查看');

test('loading is shown while the first load runs and cleared when its data arrive', async () => {
  const p = page();
  expect(p.data().state).toBe('loading');
  const done = p.inst.load();
  expect(p.text()).toBe('正在加载…');
  p.next().resolve({ text: '南门巷' });
  await done;
  expect(p.data()).toMatchObject({ state: 'ready', error: '', text: '南门巷' });
  expect(p.text()).toBe('内容：南门巷');
  expect(h.callsOf('stopPullDownRefresh')).toHaveLength(0);
});

test('a fetch that set its data itself still ends the loading', async () => {
  const p = page();
  const done = p.inst.load();
  p.inst.setData({ text: '自己设' });
  p.next().resolve(undefined);
  await done;
  expect(p.text()).toBe('内容：自己设');
});

test('pull-down refresh reloads, keeps the content on screen meanwhile, and stops the refresh', async () => {
  const p = page();
  const first = p.inst.load();
  p.next().resolve({ text: '旧' });
  await first;
  const refresh = p.inst.onPullDownRefresh();
  expect(p.text()).toBe('内容：旧');
  expect(h.callsOf('stopPullDownRefresh')).toHaveLength(0);
  p.next().resolve({ text: '新' });
  await refresh;
  expect(p.text()).toBe('内容：新');
  expect(h.callsOf('stopPullDownRefresh')).toHaveLength(1);
});

test('pull-down refresh stops the refresh when the load fails too', async () => {
  const p = page();
  const refresh = p.inst.onPullDownRefresh();
  p.next().reject(denied());
  await refresh;
  expect(h.callsOf('stopPullDownRefresh')).toHaveLength(1);
  expect(p.data().state).toBe('error');
});

test('pull-down refresh stops the refresh even when a page\'s own load() rejects', async () => {
  const id = simulate.load({ template: '<view />', behaviors: [loadable], methods: { load: () => Promise.reject(denied()) } });
  const comp = simulate.render(id);
  comp.attach(document.createElement('parent-wrapper'));
  await comp.instance.onPullDownRefresh();
  expect(h.callsOf('stopPullDownRefresh')).toHaveLength(1);
});

test('a failure before anything is shown is the error state with the Chinese message', async () => {
  const p = page();
  const done = p.inst.load();
  p.next().reject(denied());
  await done;
  expect(p.data()).toMatchObject({ state: 'error', error: '只有社区工作人员可以查看' });
  expect(p.text()).toBe('只有社区工作人员可以查看');
  // Not one of ours and not Chinese: the generic message, never the English text.
  const again = p.inst.load();
  expect(p.data()).toMatchObject({ state: 'loading', error: '' });
  p.next().reject(new TypeError('x is undefined'));
  await again;
  expect(p.text()).toBe('服务器出了点问题，请稍后再试。');
});

test('a failure after content was shown keeps it under the message; replaceOnError does not', async () => {
  const p = page();
  let done = p.inst.load();
  p.next().resolve({ text: '旧' });
  await done;
  done = p.inst.load();
  p.next().reject(denied());
  await done;
  expect(p.data().state).toBe('ready');
  expect(p.text()).toBe('只有社区工作人员可以查看内容：旧');

  const q = page({ replaceOnError: true });
  done = q.inst.load();
  q.next().resolve({ text: '旧' });
  await done;
  done = q.inst.load();
  q.next().reject(denied());
  await done;
  expect(q.data().state).toBe('error');
  expect(q.text()).toBe('只有社区工作人员可以查看');
});

test('a load clears the previous message when it starts; keepMessage leaves it', async () => {
  const p = page();
  p.inst.setData({ error: '认领失败' });
  let done = p.inst.load();
  expect(p.data().error).toBe('');
  p.next().resolve({ text: '新' });
  await done;
  expect(p.text()).toBe('内容：新');

  const q = page({ keepMessage: true });
  q.inst.setData({ error: '该诉求已被撤销' });
  done = q.inst.load();
  q.next().resolve({ text: '新' });
  await done;
  expect(q.text()).toBe('该诉求已被撤销内容：新');
});

/** The pages whose .json turns pull-down refresh on. */
function pullDownPages() {
  const app = JSON.parse(fs.readFileSync(path.join(h.MP, 'app.json'), 'utf8'));
  const pages = [...app.pages, ...app.subpackages.flatMap((s) => s.pages.map((p) => `${s.root}/${p}`))];
  return pages.filter((p) => JSON.parse(fs.readFileSync(path.join(h.MP, `${p}.json`), 'utf8')).enablePullDownRefresh);
}

test('every page with pull-down refresh gets it from the Behavior, none has its own copy', () => {
  const pages = pullDownPages();
  expect(pages.length).toBeGreaterThan(0);
  for (const p of pages) {
    const src = fs.readFileSync(path.join(h.MP, `${p}.js`), 'utf8');
    expect([p, /behaviors: \[loadable[\],]/.test(src), /onPullDownRefresh/.test(src)]).toEqual([p, true, false]);
  }
});
