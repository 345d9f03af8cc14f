/**
 * A scripted stand-in for the server in unit tests (the e2e suite uses the real one).
 * route('GET', '/boards/ABC', {status, body} | (req) => {status, body} | 'hold'),
 * `down = true` makes every call fail like an unreachable server. Paths are matched
 * without the origin, '/api/v1' and the query string; `requests` records what was sent.
 */
const harness = require('./harness');

function envelope(status, code, message, fields) {
  return { status, body: { error: { code, message, fields: fields || {} } } };
}

function fakeServer() {
  const routes = new Map();
  const s = {
    down: false,
    offline: true,
    roles: ['resident'],
    requests: [],
    held: [],
    route(method, p, answer) {
      routes.set(`${method} ${p}`, answer);
      return s;
    },
    reset() {
      routes.clear();
      s.down = false;
      s.roles = ['resident'];
      s.requests.length = 0;
      s.route('POST', '/auth/login', (req) => ({ status: 200, body: { token: `tok-${req.data.code}`, roles: s.roles, offline: true, user: { id: 1, nickname: null, has_wechat: true } } }));
      s.route('POST', '/media', () => ({ status: 201, body: { id: 100 + s.requests.length, url: '/media/x.jpg', thumb_url: '/media/x-t.jpg', width: 1, height: 1, mime: 'image/jpeg' } }));
    },
    answer(method, url, data, header) {
      const full = String(url).replace(/^https?:\/\/[^/]+/, '').replace(/^\/api\/v1/, '');
      const [p, query] = full.split('?');
      const req = { method, path: p, query: query || '', data: typeof data === 'string' ? JSON.parse(data || '{}') : data, header: header || {} };
      s.requests.push(req);
      const a = routes.get(`${method} ${p}`);
      if (a === undefined) return envelope(404, 'not_found', '找不到（测试未定义）');
      return typeof a === 'function' ? a(req) : a;
    },
    transport: {
      request(o, cb) {
        setTimeout(() => {
          if (s.down) return cb.fail({ errMsg: 'request:fail' });
          const a = s.answer(o.method || 'GET', o.url, o.data, o.header);
          if (a === 'hold') return s.held.push(cb);
          const header = s.offline ? { 'X-Offline-Mode': '1' } : {};
          return cb.success({ statusCode: a.status, data: a.body, header });
        }, 0);
      },
      uploadFile(o, cb) {
        if (s.down) return cb.fail({ errMsg: 'uploadFile:fail' });
        const a = s.answer('POST', o.url, {}, o.header);
        if (a === 'hold') return s.held.push(cb);
        cb.progress(50);
        return cb.success({ statusCode: a.status, data: JSON.stringify(a.body), header: {} });
      },
      downloadFile(o, cb) {
        setTimeout(() => {
          if (s.down) return cb.fail({ errMsg: 'downloadFile:fail' });
          const a = s.answer('GET', o.url, {}, o.header);
          if (a === 'hold') return s.held.push(cb);
          return cb.success({ statusCode: a.status, tempFilePath: a.file || '/tmp/none' });
        }, 0);
      },
    },
  };
  s.reset();
  harness.transport = s.transport;
  return s;
}

module.exports = { fakeServer, envelope };
