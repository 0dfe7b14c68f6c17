/* charts.js - the page's charts as inline SVG: loss curves, bias bars with the policy's band,
 * feature importance, a SHAP waterfall and a privacy-budget meter. Each chart is an <svg
 * role="img"> with a text alternative; the numbers are also in a table beside it. */
import {fmt, h, s} from './dom.js';

const C = {a: '#0b5cad', b: '#d1571b', pos: '#c4314b', neg: '#1f6feb', ok: '#0b5cad',
    bad: '#b42318', band: '#cdebd5', bandLine: '#1a7f37', muted: '#57606a'};

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/* "Nice" tick values covering [lo, hi] (Heckbert's 1-2-5 steps). */
export function ticks(lo, hi, n = 5) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / n;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw);
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
        out.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
    return out;
}

const scale = (d0, d1, r0, r1) => (x) => r0 + ((x - d0) / (d1 - d0 || 1)) * (r1 - r0);

function frame(title, desc, width, height, ...kids) {
    const tid = nextId('t');
    const did = nextId('d');
    return s('svg', {class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
        'aria-labelledby': `${tid} ${did}`, preserveAspectRatio: 'xMinYMin meet'},
    s('title', {id: tid}, title), s('desc', {id: did}, desc), ...kids);
}

/* A vertical value axis at x with ticks, gridlines to x1. */
function yAxis(y, tks, x0, x1) {
    return s('g', {class: 'axis'}, tks.map((t) => s('g', {},
        s('line', {class: 'grid', x1: x0, x2: x1, y1: y(t), y2: y(t)}),
        s('text', {x: x0 - 6, y: y(t) + 4, 'text-anchor': 'end'}, fmt(t, 3)))));
}

/* A horizontal value axis at y: ticks and gridlines up to y0. */
function xAxis(x, tks, y, y0) {
    return s('g', {class: 'axis'}, tks.map((t) => s('g', {},
        s('line', {class: 'grid', x1: x(t), x2: x(t), y1: y0, y2: y}),
        s('text', {x: x(t), y: y + 15, 'text-anchor': 'middle'}, fmt(t, 3)))));
}

function legend(items) {
    return h('div', {class: 'legend', 'aria-hidden': 'true'},
        items.map(([label, color, dash]) => h('span', {style: `--c:${color}`, class: dash ? 'dash' : ''}, label)));
}

/*
 * Line chart of series [{name, color, dash, points: [[x, y], ...]}] - the loss curves.
 * Returns a <figure> with the chart, a legend, and the numbers in a collapsed table.
 */
export function lineChart({title, xLabel, yLabel, series, width = 1100, height = 260}) {
    const m = {l: 56, r: 14, t: 10, b: 40};
    const pts = series.flatMap((se) => se.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return h('p', {class: 'muted'}, 'No curve recorded.');
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const xt = ticks(Math.min(...xs), Math.max(...xs), 6);
    let ylo = Math.min(...ys);
    let yhi = Math.max(...ys);
    if (ylo === yhi) { ylo -= 0.5; yhi += 0.5; }
    const pad = (yhi - ylo) * 0.05;
    const yt = ticks(Math.max(0, ylo - pad) < ylo ? ylo - pad : ylo, yhi + pad, 5);
    const y0 = Math.min(yt[0], ylo);
    const y1 = Math.max(yt[yt.length - 1], yhi);
    const x = scale(Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs), m.l, width - m.r);
    const y = scale(y0, y1, height - m.b, m.t);
    const last = series.map((se) => `${se.name} ${fmt(se.points.at(-1)?.[1])}`).join(', ');
    const svg = frame(title, `${yLabel} by ${xLabel}; final values: ${last}.`, width, height,
        yAxis(y, yt.filter((t) => t >= y0 && t <= y1), m.l, width - m.r),
        xAxis(x, xt, height - m.b, m.t),
        s('text', {x: (m.l + width - m.r) / 2, y: height - 4, 'text-anchor': 'middle'}, xLabel),
        s('text', {x: 12, y: (m.t + height - m.b) / 2, transform: `rotate(-90 12 ${(m.t + height - m.b) / 2})`,
            'text-anchor': 'middle'}, yLabel),
        series.map((se) => s('polyline', {fill: 'none', stroke: se.color, 'stroke-width': 2,
            'stroke-dasharray': se.dash ? '6 4' : null,
            points: se.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
                .map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')})));
    const rows = [];
    const byX = new Map();
    series.forEach((se, i) => se.points.forEach(([a, b]) => {
        if (!byX.has(a)) byX.set(a, new Array(series.length).fill(''));
        byX.get(a)[i] = fmt(b, 4);
    }));
    for (const [a, vals] of [...byX.entries()].sort((p, q) => p[0] - q[0])) rows.push([String(a), ...vals]);
    return h('figure', {},
        svg, legend(series.map((se) => [se.name, se.color, se.dash])),
        h('details', {}, h('summary', {}, `${title}: the numbers`),
            dataTable([xLabel, ...series.map((se) => se.name)], rows)));
}

function dataTable(heads, rows) {
    return h('table', {},
        h('thead', {}, h('tr', {}, heads.map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h(i ? 'td' : 'th', i ? {class: 'num'} : {scope: 'row'}, c))))));
}

/*
 * Bias metrics as horizontal bars from 0: [{name, value, lo, hi, band: [min, max] | null,
 * out: bool}]. The policy's band is a green strip in the row; a bar outside it is red, hatched
 * and labelled "outside the policy's band" (never colour alone). 95% intervals as whiskers.
 */
export function biasChart(rows, {title = 'Bias metrics', width = 1100} = {}) {
    const m = {l: 70, r: 170, t: 8, b: 30};
    const rowH = 30;
    const height = m.t + m.b + rows.length * rowH;
    const vals = rows.flatMap((r) => [r.value, r.lo, r.hi, ...(r.band || [])]).filter(Number.isFinite);
    let lo = Math.min(0, ...vals);
    let hi = Math.max(0, ...vals);
    if (lo === hi) hi = 1;
    const pad = (hi - lo) * 0.04;
    lo = lo < 0 ? lo - pad : lo;
    hi += pad;
    const x = scale(lo, hi, m.l, width - m.r);
    const xt = ticks(lo, hi, 6).filter((t) => t >= lo && t <= hi);
    const hatch = nextId('hatch');
    const desc = rows.map((r) => `${r.name} ${fmt(r.value)}${r.band ? ` (band ${fmt(r.band[0])} to ${fmt(r.band[1])}${r.out ? ', outside' : ', inside'})` : ''}`).join('; ');
    const svg = frame(title, desc, width, height,
        s('defs', {}, s('pattern', {id: hatch, width: 6, height: 6, patternUnits: 'userSpaceOnUse',
            patternTransform: 'rotate(45)'}, s('rect', {width: 6, height: 6, fill: C.bad}),
        s('line', {x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#fff', 'stroke-width': 2.2}))),
        xAxis(x, xt, height - m.b, m.t),
        rows.map((r, i) => {
            const yTop = m.t + i * rowH;
            const cy = yTop + rowH / 2;
            const parts = [s('text', {x: m.l - 8, y: cy + 4, 'text-anchor': 'end', 'font-weight': 600}, r.name)];
            if (r.band) {
                const b0 = Number.isFinite(r.band[0]) ? r.band[0] : lo;
                const b1 = Number.isFinite(r.band[1]) ? r.band[1] : hi;
                parts.push(s('rect', {class: 'band', x: x(b0), y: yTop + 2, width: Math.max(1, x(b1) - x(b0)),
                    height: rowH - 4, fill: C.band, stroke: C.bandLine, 'stroke-dasharray': '4 3'},
                s('title', {}, `policy band for ${r.name}: ${fmt(r.band[0])} to ${fmt(r.band[1])}`)));
            }
            if (Number.isFinite(r.value)) {
                const x0 = x(Math.min(0, r.value));
                parts.push(s('rect', {class: r.out ? 'bar out' : 'bar', x: x0, y: cy - 7,
                    width: Math.max(1.5, Math.abs(x(r.value) - x(0))), height: 14,
                    fill: r.out ? `url(#${hatch})` : C.ok, stroke: r.out ? C.bad : 'none',
                    'data-metric': r.name, 'data-out': r.out ? 'true' : 'false'},
                s('title', {}, `${r.name} = ${fmt(r.value, 4)}${r.out ? ' — outside the policy band' : ''}`)));
                if (Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
                    parts.push(s('path', {d: `M${x(r.lo)},${cy - 5}v10M${x(r.lo)},${cy}H${x(r.hi)}M${x(r.hi)},${cy - 5}v10`,
                        stroke: '#24292f', 'stroke-width': 1.3, fill: 'none'}));
                }
            }
            parts.push(s('text', {x: width - m.r + 8, y: cy + 4, fill: r.out ? C.bad : '#24292f',
                'font-weight': r.out ? 700 : 400},
            Number.isFinite(r.value) ? `${fmt(r.value)}${r.out ? '  ⚠ outside band' : ''}` : 'n/a'));
            return s('g', {}, parts);
        }),
        s('line', {x1: x(0), x2: x(0), y1: m.t, y2: height - m.b, stroke: '#24292f', 'stroke-width': 1}));
    return h('figure', {}, svg,
        legend([['value (blue: inside the band or no band)', C.ok], ['outside the policy band', C.bad],
            ['policy band', C.bandLine], ['95% bootstrap interval', '#24292f', true]]));
}

/* Horizontal bars of [name, value] sorted by value, largest first: global mean |SHAP|. */
export function importanceChart(pairs, {title = 'Global feature importance', width = 520} = {}) {
    const m = {l: 150, r: 60, t: 6, b: 28};
    const rowH = 24;
    const rows = pairs.slice(0, 15);
    const height = m.t + m.b + rows.length * rowH;
    const max = Math.max(...rows.map((r) => r[1]), 1e-12);
    const x = scale(0, max, m.l, width - m.r);
    return h('figure', {}, frame(title,
        rows.map(([n, v]) => `${n} ${fmt(v)}`).join('; '), width, height,
        xAxis(x, ticks(0, max, 5).filter((t) => t <= max), height - m.b, m.t),
        rows.map(([n, v], i) => {
            const cy = m.t + i * rowH + rowH / 2;
            return s('g', {},
                s('text', {x: m.l - 8, y: cy + 4, 'text-anchor': 'end'}, n),
                s('rect', {x: m.l, y: cy - 7, width: Math.max(1, x(v) - m.l), height: 14, fill: C.a}),
                s('text', {x: x(v) + 5, y: cy + 4}, fmt(v)));
        })));
}

/*
 * One row's SHAP contributions as a waterfall: from the base value, each original column's
 * phi (largest |phi| first; the rest folded into one bar) to the prediction.
 */
export function waterfallChart({base, prediction, phi, title = 'SHAP contributions', width = 520, top = 10}) {
    const all = Object.entries(phi).filter(([, v]) => Number.isFinite(v)).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    const shown = all.slice(0, top);
    if (all.length > top) shown.push([`${all.length - top} other columns`, all.slice(top).reduce((a, [, v]) => a + v, 0)]);
    const m = {l: 150, r: 60, t: 6, b: 30};
    const rowH = 24;
    const height = m.t + m.b + (shown.length + 2) * rowH;
    let cum = base;
    const steps = shown.map(([n, v]) => {
        const st = {n, v, from: cum, to: cum + v};
        cum += v;
        return st;
    });
    const end = Number.isFinite(prediction) ? prediction : cum;
    const pts = [base, end, ...steps.flatMap((st) => [st.from, st.to])];
    let lo = Math.min(...pts);
    let hi = Math.max(...pts);
    const pad = (hi - lo || 1) * 0.06;
    lo -= pad;
    hi += pad;
    const x = scale(lo, hi, m.l, width - m.r);
    const line = (i, v, label) => {
        const cy = m.t + i * rowH + rowH / 2;
        return s('g', {}, s('text', {x: m.l - 8, y: cy + 4, 'text-anchor': 'end', 'font-weight': 600}, label),
            s('line', {x1: x(v), x2: x(v), y1: cy - 9, y2: cy + 9, stroke: '#24292f', 'stroke-width': 2}),
            s('text', {x: x(v) + 5, y: cy + 4}, fmt(v, 4)));
    };
    return h('figure', {}, frame(title,
        `from the base value ${fmt(base)} to the prediction ${fmt(end)}: ${steps.map((st) => `${st.n} ${st.v >= 0 ? '+' : ''}${fmt(st.v)}`).join(', ')}`,
        width, height,
        xAxis(x, ticks(lo, hi, 6).filter((t) => t >= lo && t <= hi), height - m.b, m.t),
        line(0, base, 'base value'),
        steps.map((st, i) => {
            const cy = m.t + (i + 1) * rowH + rowH / 2;
            const a = x(Math.min(st.from, st.to));
            const w = Math.max(1, Math.abs(x(st.to) - x(st.from)));
            const up = st.v >= 0;
            return s('g', {},
                s('text', {x: m.l - 8, y: cy + 4, 'text-anchor': 'end'}, st.n),
                s('rect', {x: a, y: cy - 8, width: w, height: 16, fill: up ? C.pos : C.neg}),
                s('line', {x1: x(st.to), x2: x(st.to), y1: cy + 8, y2: cy + rowH - 8, stroke: C.muted, 'stroke-dasharray': '2 2'}),
                s('text', {x: a + w + 5, y: cy + 4}, `${up ? '+' : '−'}${fmt(Math.abs(st.v))}`));
        }),
        line(steps.length + 1, end, 'prediction')),
    legend([['raises the prediction', C.pos], ['lowers it', C.neg]]));
}

/*
 * The data set's privacy budget: this version's epsilon, the total spent on the data set, and
 * the policy's maximum as a line. Over the maximum is red and said in words.
 */
export function budgetChart({spent, total, max, width = 1100}) {
    const height = 92;
    const m = {l: 10, r: 20, t: 22, b: 30};
    const hi = Math.max(...[spent, total, max].filter(Number.isFinite), 1e-9) * 1.15;
    const x = scale(0, hi, m.l, width - m.r);
    const over = Number.isFinite(max) && Number.isFinite(total) && total > max;
    const desc = `this version spent epsilon ${fmt(spent)}; the data set has spent ${fmt(total)} in all` +
        (Number.isFinite(max) ? ` against a policy maximum of ${fmt(max)}${over ? ' (over it)' : ''}` : '');
    return h('figure', {}, frame('Privacy budget', desc, width, height,
        xAxis(x, ticks(0, hi, 6).filter((t) => t <= hi), height - m.b, m.t),
        Number.isFinite(total) ? s('rect', {x: m.l, y: m.t + 6, width: Math.max(1, x(total) - m.l), height: 26,
            fill: over ? C.bad : '#9ecbff'}, s('title', {}, `data set total ε ${fmt(total)}`)) : null,
        Number.isFinite(spent) ? s('rect', {x: m.l, y: m.t + 12, width: Math.max(1, x(spent) - m.l), height: 14,
            fill: C.a}, s('title', {}, `this version ε ${fmt(spent)}`)) : null,
        Number.isFinite(max) ? s('g', {},
            s('line', {x1: x(max), x2: x(max), y1: m.t - 4, y2: m.t + 38, stroke: '#24292f', 'stroke-width': 2, 'stroke-dasharray': '5 3'}),
            s('text', {x: x(max), y: m.t - 8, 'text-anchor': 'middle', 'font-weight': 600}, `policy max ε ${fmt(max)}`)) : null),
    legend([['this version', C.a], ['data set total', over ? C.bad : '#9ecbff'], ['policy maximum', '#24292f', true]]));
}
