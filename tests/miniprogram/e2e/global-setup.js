/**
 * e2e global setup: start the REAL Flask app in offline mode on a free port with a temporary
 * SQLite database (`init-db` + `seed-demo`), wait until it answers, and write where it runs
 * (and the demo's board codes from `flask areas --json`) to a state file the tests read.
 * The venv is found relative to the repository root: .venv/bin/flask.
 */
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {any} */ (srv.address());
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function ping(url) {
  return new Promise((resolve) => {
    http.get(url, { agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', () => resolve(false));
  });
}

module.exports = async function globalSetup() {
  const flask = path.join(ROOT, '.venv', 'bin', 'flask');
  if (!fs.existsSync(flask)) throw new Error(`e2e: ${flask} not found — create the venv first (make dev-venv)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-e2e-'));
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:///${path.join(dir, 'e2e.db')}`,
    MEDIA_DIR: path.join(dir, 'media'),
    SECRET_KEY: 'mini-program-e2e',
    PUBLIC_BASE_URL: 'https://xx.example.gov.cn',
    FLASK_APP: 'app',
  };
  delete env.WECHAT_APPID;
  delete env.WECHAT_SECRET;
  const run = (args) => execFileSync(flask, ['--app', 'app', ...args], { cwd: ROOT, env, encoding: 'utf8' });
  run(['init-db']);
  run(['seed-demo']);
  const areas = JSON.parse(run(['areas', '--json']));
  const server = spawn(flask, ['--app', 'app', 'serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', fs.openSync(path.join(dir, 'server.log'), 'a'), fs.openSync(path.join(dir, 'server.log'), 'a')],
    detached: false,
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i += 1) { // up to a minute: a loaded machine starts it slowly
    if (await ping(`${base}/api/v1/openapi.json`)) break;
    if (server.exitCode !== null) throw new Error(`e2e: the server exited; see ${dir}/server.log`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await ping(`${base}/api/v1/openapi.json`))) throw new Error(`e2e: the server did not start; see ${dir}/server.log`);
  const stateFile = path.join(dir, 'state.json');
  fs.writeFileSync(stateFile, JSON.stringify({ base, dir, pid: server.pid, areas, env }));
  process.env.MP_E2E_STATE = stateFile;
  globalThis.__MP_E2E_SERVER__ = server;
  globalThis.__MP_E2E_DIR__ = dir;
};
