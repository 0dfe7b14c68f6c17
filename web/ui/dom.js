/* dom.js - build elements without innerHTML (every text goes through textContent), announce results. */
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, kids) {
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'text') el.textContent = String(v);
        else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
        if (kid === null || kid === undefined || kid === false) continue;
        el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
}

/* An HTML element: h('a', {href: '#/'}, 'Inventory'). */
export function h(tag, attrs, ...kids) {
    return build(document.createElement(tag), attrs, kids);
}

/* An SVG element, same calling convention. */
export function s(tag, attrs, ...kids) {
    return build(document.createElementNS(SVG_NS, tag), attrs, kids);
}

let hideTimer = 0;

/* Say `msg` to screen readers (and show it for a while) through the page's aria-live region. */
export function announce(msg) {
    const el = document.getElementById('status');
    if (!el) return;
    el.textContent = '';
    clearTimeout(hideTimer);
    /* a fresh text node, so the same message twice is read twice */
    requestAnimationFrame(() => { el.textContent = msg; });
    hideTimer = setTimeout(() => { el.textContent = ''; }, 8000);
}

/* A number for people: up to `digits` significant digits, "n/a" when missing. */
export function fmt(x, digits = 3) {
    if (x === null || x === undefined || x === '') return 'n/a';
    const n = Number(x);
    if (!Number.isFinite(n)) return Number.isNaN(n) ? 'n/a' : (n > 0 ? '∞' : '−∞');
    if (n !== 0 && (Math.abs(n) >= 1e6 || Math.abs(n) < 1e-3)) return n.toExponential(digits - 1);
    return String(Number(n.toPrecision(digits)));
}

/* "9f86d081…" - a hash shortened for a table, full text in the title. */
export function shortHash(hex, n = 12) {
    if (!hex) return h('span', {}, 'n/a');
    return h('code', {title: hex, class: 'hash'}, hex.length > n ? hex.slice(0, n) + '…' : hex);
}

/* A table from column headings and rows of cells (strings or nodes). */
export function table(caption, heads, rows, attrs = {}) {
    return h('table', attrs,
        caption ? h('caption', {}, caption) : null,
        h('thead', {}, h('tr', {}, heads.map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0
            ? h('th', {scope: 'row'}, c) : h('td', {}, c)))))));
}

/* A stage as a badge: text plus a class for its colour (never colour alone). */
export function stageBadge(stage) {
    return h('span', {class: `badge stage-${stage || 'unknown'}`}, (stage || 'unknown').replace('_', ' '));
}
