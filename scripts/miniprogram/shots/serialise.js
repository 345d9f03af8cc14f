/**
 * Turns a page rendered by miniprogram-simulate into a standalone HTML page a browser can
 * draw (scripts/miniprogram/screenshots.js takes the pictures).
 *
 * Two steps, so the second can be tested on a small known tree:
 * - treeFromDom(el): the rendered DOM (composed: components' content in place, classes already
 *   prefixed per component by miniprogram-simulate) into {tag, attrs, children} nodes. The
 *   built-in components' own attributes (placeholder, value, src, type, checked …) never reach
 *   the DOM, so they are read from the exparser node's virtual tree (`__wxElement._vt`).
 * - pageHtml({tree, css, title, width, overlay}): wx tags mapped to HTML elements, the WXSS
 *   inlined with rpx turned into px for the screen width (WeChat: 750 rpx = screen width),
 *   WeChat's built-in component styles imitated, a drawn navigation bar and the last
 *   toast / modal / loading drawn on top.
 */

const TAGS = {
  'wx-view': 'div',
  'wx-cover-view': 'div',
  'wx-scroll-view': 'div',
  'wx-swiper': 'div',
  'wx-swiper-item': 'div',
  'wx-movable-area': 'div',
  'wx-movable-view': 'div',
  'wx-navigator': 'div',
  'wx-picker': 'div',
  'wx-picker-view': 'div',
  'wx-picker-view-column': 'div',
  'wx-checkbox-group': 'div',
  'wx-radio-group': 'div',
  'wx-form': 'form',
  'wx-label': 'label',
  'wx-text': 'span',
  'wx-rich-text': 'span',
  'wx-button': 'button',
  'wx-input': 'input',
  'wx-textarea': 'textarea',
  'wx-image': 'img',
  'wx-cover-image': 'img',
  'wx-icon': 'i',
  'wx-progress': 'div',
  'wx-switch': 'span',
  'wx-checkbox': 'span',
  'wx-radio': 'span',
  'wx-slider': 'div',
  'wx-map': 'div',
  'wx-canvas': 'div',
  'wx-video': 'div',
  main: 'div',
};

// Attributes that mean something to the drawing; anything else (handlers, data-*) is dropped.
const KEEP = new Set(['class', 'style', 'id', 'hidden', 'disabled', 'type', 'size', 'plain', 'checked',
  'mode', 'placeholder', 'value', 'src', 'percent', 'nodes', 'loading', 'maxlength', 'password']);

const PLACEHOLDER_IMG = 'data:image/svg+xml;utf8,' + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><rect width="160" height="120" fill="#d5dae1"/>'
  + '<text x="80" y="66" font-size="18" text-anchor="middle" fill="#6b7480">照片</text></svg>');

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** WeChat's rule: 750 rpx is the screen's width. */
function rpxToPx(css, width) {
  return String(css).replace(/(-?\d*\.?\d+)rpx/g, (_, n) => `${+(Number(n) * width / 750).toFixed(2)}px`);
}

/** The rendered DOM (with exparser nodes behind it) as plain {tag, attrs, children}. */
function treeFromDom(el) {
  if (el.nodeType === 3) return el.nodeValue;
  if (el.nodeType !== 1) return null;
  const tag = el.tagName.toLowerCase();
  const attrs = {};
  const vt = el.__wxElement && el.__wxElement._vt;
  if (vt && Array.isArray(vt.attrs)) {
    for (const { name, value } of vt.attrs) {
      if (KEEP.has(name) && name !== 'class' && name !== 'style') attrs[name] = value;
    }
  }
  if (el.getAttribute('class')) attrs.class = el.getAttribute('class');
  if (el.getAttribute('style')) attrs.style = el.getAttribute('style');
  if (el.getAttribute('id')) attrs.id = el.getAttribute('id');
  const children = [];
  el.childNodes.forEach((c) => {
    const n = treeFromDom(c);
    if (n !== null && n !== '') children.push(n);
  });
  return { tag, attrs, children };
}

function truthy(v) {
  return v !== undefined && v !== null && v !== false && v !== 'false';
}

/** One node as HTML; rpx in inline styles converted for `width`. */
function nodeHtml(node, width) {
  if (typeof node === 'string') return esc(node);
  const { tag, attrs = {}, children = [] } = node;
  const html = TAGS[tag] || tag; // custom components keep their tag (inline, as in WeChat)
  const out = [];
  const cls = [tag.startsWith('wx-') ? tag : '', attrs.class || ''].filter(Boolean).join(' ');
  if (cls) out.push(`class="${esc(cls)}"`);
  let style = attrs.style ? rpxToPx(attrs.style, width) : '';
  if (truthy(attrs.hidden)) style = `display:none;${style}`;
  if (style) out.push(`style="${esc(style)}"`);
  for (const k of ['type', 'size', 'mode']) if (attrs[k]) out.push(`data-${k}="${esc(attrs[k])}"`);
  for (const k of ['disabled', 'plain', 'checked', 'loading']) if (truthy(attrs[k])) out.push(k === 'disabled' ? 'disabled' : `data-${k}`);
  const open = (extra = '') => `<${html}${out.length ? ` ${out.join(' ')}` : ''}${extra}>`;
  const inner = () => children.map((c) => nodeHtml(c, width)).join('');
  switch (tag) {
    case 'wx-input':
      return open(`${attrs.placeholder ? ` placeholder="${esc(attrs.placeholder)}"` : ''}${attrs.value !== undefined && attrs.value !== null ? ` value="${esc(attrs.value)}"` : ''}`);
    case 'wx-textarea':
      return `${open(attrs.placeholder ? ` placeholder="${esc(attrs.placeholder)}"` : '')}${esc(attrs.value == null ? '' : attrs.value)}</textarea>`;
    case 'wx-image':
    case 'wx-cover-image':
      return open(` src="${PLACEHOLDER_IMG}" alt=""`);
    case 'wx-rich-text':
      return `${open()}${typeof attrs.nodes === 'string' ? attrs.nodes : inner()}</${html}>`;
    case 'wx-progress':
      return `${open()}<span class="wx-progress-bar" style="width:${Number(attrs.percent) || 0}%"></span></${html}>`;
    case 'wx-icon':
      return `${open()}${{ success: '✔', warn: '!', info: 'i', clear: '✕', search: '🔍', waiting: '…' }[attrs.type] || '•'}</${html}>`;
    default:
      return `${open()}${inner()}</${html}>`;
  }
}

// WeChat's own look of its built-in components ("style": "v2"), as element selectors so a
// page's class rules win as they do on the phone.
const BASE_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Noto Sans SC","WenQuanYi Micro Hei",sans-serif;font-size:16px;color:#000;background:#fff;word-wrap:break-word}
div,form{display:block}
span.wx-text{white-space:pre-line}
button{position:relative;display:block;width:184px;margin:0 auto;padding:8px 24px;font:inherit;font-size:17px;font-weight:700;line-height:1.41176471;text-align:center;color:#06ae56;background:#f2f2f2;border:0;border-radius:8px;overflow:hidden}
button[data-type=primary]{color:#fff;background:#07c160}
button[data-type=warn]{color:#fa5151;background:#f2f2f2}
button[data-size=mini]{display:inline-block;width:auto;padding:0 .75em;font-size:16px;line-height:2;border-radius:4px}
button[data-plain]{background:transparent;border:1px solid currentColor}
button[disabled]{opacity:.6}
input,textarea{display:block;font:inherit;color:inherit;background:transparent;border:0;padding:0;margin:0;outline:none}
input{height:1.4em;width:100%}
textarea{width:300px;height:150px;resize:none}
::placeholder{color:#808080}
:where(img.wx-image,img.wx-cover-image){display:inline-block;width:320px;height:240px;object-fit:cover;background:#d5dae1}
:where(img[data-mode=widthFix]){height:auto}
.wx-switch{display:inline-block;width:52px;height:32px;border-radius:16px;background:#e5e5e5;position:relative;vertical-align:middle}
.wx-switch::after{content:"";position:absolute;top:2px;left:2px;width:28px;height:28px;border-radius:50%;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.3)}
.wx-switch[data-checked]{background:#07c160}.wx-switch[data-checked]::after{left:22px}
.wx-checkbox,.wx-radio{display:inline-block;width:22px;height:22px;border:1px solid #d1d1d1;background:#fff;vertical-align:middle;margin-right:5px;text-align:center;line-height:20px;color:#07c160}
.wx-checkbox{border-radius:3px}.wx-radio{border-radius:50%}
.wx-checkbox[data-checked]::before,.wx-radio[data-checked]::before{content:"✓"}
.wx-progress{height:6px;background:#ebebeb}.wx-progress-bar{display:block;height:100%;background:#09bb07}
i.wx-icon{font-style:normal;display:inline-block}
.mp-nav{position:sticky;top:0;z-index:50;color:#fff}
.mp-status{height:var(--status-h)}
.mp-bar{height:44px;display:flex;align-items:center;justify-content:center;position:relative;font-size:17px;font-weight:600}
.mp-back{position:absolute;left:8px;font-size:26px;font-weight:400}
.mp-capsule{position:absolute;right:7px;width:87px;height:32px;border-radius:16px;border:1px solid rgba(255,255,255,.35);background:rgba(0,0,0,.15);font-size:16px;display:flex;align-items:center;justify-content:space-around;font-weight:700}
body.mp-has-tab{display:flex;flex-direction:column;min-height:100vh}
.mp-tabbar{margin-top:auto}
.mp-tabbar [class*="tab-bar"]{position:static!important}
.mp-mask{position:fixed;inset:0;z-index:90;background:rgba(0,0,0,.6)}
.mp-toast{position:fixed;z-index:100;left:50%;top:45%;transform:translate(-50%,-50%);min-width:120px;max-width:70%;padding:14px 16px;border-radius:8px;background:rgba(17,17,17,.78);color:#fff;text-align:center;font-size:16px;line-height:1.4}
.mp-modal{position:fixed;z-index:100;left:50%;top:50%;transform:translate(-50%,-50%);width:80%;max-width:320px;background:#fff;border-radius:12px;text-align:center;overflow:hidden}
.mp-modal-title{padding:24px 24px 8px;font-size:17px;font-weight:700}
.mp-modal-body{padding:8px 24px 24px;font-size:17px;color:rgba(0,0,0,.5);white-space:pre-wrap}
.mp-modal-btns{display:flex;border-top:1px solid rgba(0,0,0,.1)}
.mp-modal-btns span{flex:1;padding:14px 0;font-size:17px;font-weight:700}
.mp-modal-btns span+span{border-left:1px solid rgba(0,0,0,.1)}
`;

/** WXSS (already class-prefixed) made browser CSS: rpx → px, the `page` element → body. */
function wxssToCss(wxss, width) {
  return rpxToPx(wxss, width).replace(/(^|[},\s>+~])page(?=[\s,.{:[>+~])/g, '$1body');
}

function overlayHtml(overlay) {
  if (!overlay) return '';
  if (overlay.kind === 'modal') {
    const btns = [overlay.showCancel === false ? '' : `<span style="color:#000">${esc(overlay.cancelText || '取消')}</span>`,
      `<span style="color:${esc(overlay.confirmColor || '#576b95')}">${esc(overlay.confirmText || '确定')}</span>`].join('');
    return `<div class="mp-mask"></div><div class="mp-modal">${overlay.title ? `<div class="mp-modal-title">${esc(overlay.title)}</div>` : ''}`
      + `<div class="mp-modal-body">${esc(overlay.content || '')}</div><div class="mp-modal-btns">${btns}</div></div>`;
  }
  const icon = { success: '✔', error: '✕', loading: '⟳' }[overlay.icon || (overlay.kind === 'loading' ? 'loading' : 'success')];
  const withIcon = overlay.kind === 'loading' || (overlay.icon && overlay.icon !== 'none');
  return `${overlay.mask ? '<div class="mp-mask" style="background:transparent"></div>' : ''}<div class="mp-toast">`
    + `${withIcon ? `<div style="font-size:36px;line-height:1.3">${icon}</div>` : ''}${esc(overlay.title || '')}</div>`;
}

/**
 * A standalone HTML page.
 * @param {{tree: any, css: string[], title: string, width: number, height?: number,
 *   nav?: {background?: string, color?: string, back?: boolean}, overlay?: any, caption?: string}} o
 */
function pageHtml(o) {
  const nav = o.nav || {};
  const statusH = (o.height || 812) >= 812 ? 44 : 20;
  const css = [BASE_CSS, ...[...o.css, ...(o.tabBar ? o.tabBar.css : [])].map((c) => wxssToCss(c, o.width))].join('\n');
  // The custom tab bar (tab pages): WeChat puts it below the page, never over it, so it is drawn
  // after the page's content and kept at the bottom of the screen (the whole-page picture shows
  // it once, at the end; a short page is stretched to the screen so the bar sits at its foot).
  const tabBar = o.tabBar ? `<div class="mp-tabbar">${nodeHtml(o.tabBar.tree, o.width)}</div>` : '';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">`
    + `<meta name="viewport" content="width=${o.width},initial-scale=1">`
    + `<title>${esc(o.caption || o.title)}</title><style>:root{--status-h:${statusH}px}\n${css}</style></head><body${tabBar ? ' class="mp-has-tab"' : ''}>`
    + `<div class="mp-nav" style="background:${esc(nav.background || '#0052d9')};color:${esc(nav.color || '#fff')}">`
    + `<div class="mp-status"></div><div class="mp-bar">${nav.back ? '<span class="mp-back">‹</span>' : ''}`
    + `<span>${esc(o.title)}</span><span class="mp-capsule"><span>···</span><span>◎</span></span></div></div>`
    + `${nodeHtml(o.tree, o.width)}${tabBar}${overlayHtml(o.overlay)}</body></html>`;
}

module.exports = { TAGS, treeFromDom, nodeHtml, pageHtml, rpxToPx, wxssToCss, BASE_CSS };
