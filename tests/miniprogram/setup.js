/**
 * Jest setup for every mini program test file: miniprogram-simulate's globals (Component,
 * wx), a global getApp (tdesign asks for it), and a fresh wx stub per file (see harness.js).
 */
require('miniprogram-simulate');
const harness = require('./harness');

global.getApp = () => ({ globalData: {} });
global.getCurrentPages = () => [];
harness.installWx();

beforeEach(() => harness.resetWx());
