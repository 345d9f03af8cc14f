/**
 * Where the mini program finds the 小巷管家 server.
 *
 * API_BASE is the server's origin without a trailing slash and without /api/v1, e.g.
 * 'https://xx.example.gov.cn'. With `make run` on the developer's machine it is
 * 'http://127.0.0.1:5000' (tick 「不校验合法域名」 in WeChat DevTools). For a real phone it
 * must be an HTTPS domain listed in the mini program's request / uploadFile / downloadFile
 * 合法域名. The API module reads this value at request time, never once at start-up.
 */
module.exports = {
  API_BASE: 'http://127.0.0.1:5000',
};
