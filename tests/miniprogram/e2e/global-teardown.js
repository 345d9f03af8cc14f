/** e2e global teardown: stop the Flask server this run started and remove its temp dir. */
const fs = require('fs');

module.exports = async function globalTeardown() {
  const server = globalThis.__MP_E2E_SERVER__;
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => { server.kill('SIGKILL'); resolve(undefined); }, 5000);
      server.once('exit', () => { clearTimeout(timer); resolve(undefined); });
    });
  }
  const dir = globalThis.__MP_E2E_DIR__;
  if (dir && !process.env.MP_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
};
