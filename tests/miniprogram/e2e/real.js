/**
 * e2e transport: wx.request / wx.uploadFile / wx.downloadFile performed as real HTTP against
 * the Flask app started by global-setup.js (node's http; jsdom has no fetch). Also points
 * config.API_BASE at that server and writes real image files for wx.chooseMedia to return.
 */
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const harness = require('../harness');

const state = JSON.parse(fs.readFileSync(/** @type {string} */ (process.env.MP_E2E_STATE), 'utf8'));

/** @type {{down: boolean}} */
const control = { down: false };

function send(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function target(url) {
  // "Server unreachable": the same request sent to a port nobody listens on.
  return control.down ? url.replace(/:\d+/, ':9') : url;
}

const transport = {
  request(o, cb) {
    const method = o.method || 'GET';
    const headers = { ...(o.header || {}) };
    let body = null;
    if (method !== 'GET' && o.data !== undefined) {
      body = Buffer.from(typeof o.data === 'string' ? o.data : JSON.stringify(o.data));
      headers['content-length'] = body.length;
    }
    send(method, target(o.url), headers, body).then(
      (r) => {
        let data = r.body.toString('utf8');
        try { data = JSON.parse(data); } catch (e) { /* keep text */ }
        cb.success({ statusCode: r.status, data, header: r.headers });
      },
      () => cb.fail({ errMsg: 'request:fail' }),
    );
  },
  uploadFile(o, cb) {
    const boundary = `----mp${Date.now()}`;
    const file = fs.readFileSync(o.filePath);
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${o.name}"; filename="${path.basename(o.filePath)}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, file, tail]);
    const headers = { ...(o.header || {}), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length };
    cb.progress(10);
    send('POST', target(o.url), headers, body).then(
      (r) => { cb.progress(100); cb.success({ statusCode: r.status, data: r.body.toString('utf8'), header: r.headers }); },
      () => cb.fail({ errMsg: 'uploadFile:fail' }),
    );
  },
  downloadFile(o, cb) {
    send('GET', target(o.url), { ...(o.header || {}) }, null).then(
      (r) => {
        const p = path.join(state.dir, `download-${Date.now()}-${Math.random().toString(36).slice(2)}`);
        fs.writeFileSync(p, r.body);
        cb.success({ statusCode: r.status, tempFilePath: p });
      },
      () => cb.fail({ errMsg: 'downloadFile:fail' }),
    );
  },
};

/** A real PNG file (w×h, one colour) for wx.chooseMedia to hand out. */
function pngFile(name, w = 64, h = 48) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y += 1) for (let x = 0; x < w; x += 1) raw.set([40 + y, 120, 200 - x], y * (w * 3 + 1) + 1 + x * 3);
  const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  const p = path.join(state.dir || os.tmpdir(), name);
  fs.writeFileSync(p, png);
  return p;
}

/** Board codes by alley name, from `flask areas --json`. */
function boards() {
  const out = {};
  const visit = (node) => {
    (node.boards || []).forEach((b) => { if (b.active !== false) out[node.name] = b.code; });
    (node.children || []).forEach(visit);
  };
  const roots = Array.isArray(state.areas) ? state.areas : state.areas.items || [state.areas];
  roots.forEach(visit);
  return out;
}

function use() {
  require('../../../miniprogram/config').API_BASE = state.base;
  harness.transport = transport;
}

/** Be a different person holding the phone: fresh storage, a new wx.login code. */
function as(loginCode) {
  harness.storage.clear();
  harness.loginCode = loginCode;
}

module.exports = { state, control, transport, use, as, pngFile, boards, send };
