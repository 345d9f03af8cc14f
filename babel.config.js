/** Babel for jest only: tdesign-miniprogram ships ES modules; the mini program itself is CommonJS. */
module.exports = {
  presets: [['@babel/preset-env', { targets: { node: 'current' } }]],
};
