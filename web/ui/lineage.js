/* lineage.js - the lineage graph (data set → run → artifact → reports → approvals) as SVG, laid
 * out in columns by kind, with the same graph as a list for screen readers and keyboards. */
import {h, s} from './dom.js';

/* Column of each kind, in the order things happen. Unknown kinds go after the artifact. */
const RANK = {dataset: 0, training_run: 1, artifact: 2, registration: 3, 'report job': 3, version: 4,
    report: 4, transition: 5};
const COLOR = {0: '#ddf4ff', 1: '#fff8c5', 2: '#dafbe1', 3: '#eef1f4', 4: '#fbefff', 5: '#ffebe9'};

const rankOf = (n) => RANK[n.kind] ?? 3;

const short = (x) => String(x || '').slice(0, 10);

/* A node's kind and a short label from governance's PROV node ({id:"run:3", type, ...attributes}). */
function describe(n) {
    const kind = String(n.type || n.kind || String(n.id).split(':')[0] || 'entity');
    const num = String(n.id).split(':').pop();
    switch (kind) {
    case 'dataset': return {kind, label: `${n.name || num} (${n.rows ?? '?'} rows)`};
    case 'training_run': return {kind, label: `run ${num}${n.status ? `, ${n.status}` : ''}`};
    case 'artifact': return {kind, label: short(n.sha256 || num)};
    case 'registration': return {kind, label: `registration ${num}`};
    case 'version': return {kind, label: `${n.model || ''} v${n.version ?? num}`};
    case 'report_job': return {kind: 'report job', label: `${n.kind || ''} job ${num}`};
    case 'report': return {kind, label: `${n.kind || ''} report ${num}`};
    case 'transition': return {kind, label: `${n.from || '?'} → ${n.to || '?'}`};
    default: return {kind, label: n.label || n.name || String(n.id)};
    }
}

/* A graph's nodes and edges without its agents (who did what is in the log):
 * {nodes:[{id,kind,label}], edges:[{from,to,label}]}. */
export function normalizeGraph(g) {
    const nodes = (g.nodes || []).filter((n) => n.prov !== 'agent').map((n) => ({id: String(n.id), ...describe(n),
        detail: n.sha256 || n.stage || n.ended || ''}));
    const ids = new Set(nodes.map((n) => n.id));
    const edges = (g.edges || []).map((e) => ({from: String(e.from), to: String(e.to), label: e.relation || e.label || ''}))
        .filter((e) => ids.has(e.from) && ids.has(e.to));
    return {nodes, edges};
}

/* PROV edges point from the later thing to the earlier (used, wasGeneratedBy); draw them in time order. */
function forward(e, byId) {
    const a = byId.get(e.from);
    const b = byId.get(e.to);
    if (a && b && rankOf(a) > rankOf(b)) return {from: e.to, to: e.from, label: e.label};
    return e;
}

export function lineageGraph(graph, {width = 1100} = {}) {
    const {nodes, edges} = normalizeGraph(graph);
    if (!nodes.length) return h('p', {class: 'muted'}, 'No lineage recorded.');
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const cols = new Map();
    for (const n of nodes) {
        const r = rankOf(n);
        if (!cols.has(r)) cols.set(r, []);
        cols.get(r).push(n);
    }
    const ranks = [...cols.keys()].sort((a, b) => a - b);
    const gapX = 34;
    const boxW = Math.min(190, (width - 20 - gapX * (ranks.length - 1)) / ranks.length);
    const boxH = 46;
    const gapY = 14;
    const tallest = Math.max(...[...cols.values()].map((c) => c.length));
    const height = 20 + tallest * (boxH + gapY);
    const pos = new Map();
    ranks.forEach((r, ci) => {
        const col = cols.get(r);
        const top = (height - col.length * (boxH + gapY) + gapY) / 2;
        col.forEach((n, i) => pos.set(n.id, {x: 10 + ci * (boxW + gapX), y: top + i * (boxH + gapY)}));
    });
    const fwd = edges.map((e) => forward(e, byId)).filter((e) => pos.has(e.from) && pos.has(e.to));
    const arrow = `arrow-${Math.random().toString(36).slice(2, 8)}`;
    const clip = (t, n) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
    const svg = s('svg', {class: 'chart lineage', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
        'aria-label': `Lineage graph: ${nodes.length} nodes, ${fwd.length} edges; the same graph is listed below.`},
    s('defs', {}, s('marker', {id: arrow, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7,
        markerHeight: 7, orient: 'auto-start-reverse'}, s('path', {d: 'M0,0L10,5L0,10z', fill: '#57606a'}))),
    fwd.map((e) => {
        const a = pos.get(e.from);
        const b = pos.get(e.to);
        const x1 = a.x + boxW;
        const y1 = a.y + boxH / 2;
        const x2 = b.x;
        const y2 = b.y + boxH / 2;
        const mx = (x1 + x2) / 2;
        return s('g', {},
            s('path', {d: `M${x1},${y1}C${mx},${y1} ${mx},${y2} ${x2 - 2},${y2}`, fill: 'none',
                stroke: '#57606a', 'stroke-width': 1.4, 'marker-end': `url(#${arrow})`}),
            s('title', {}, `${byId.get(e.from).label} → ${e.label} → ${byId.get(e.to).label}`));
    }),
    nodes.map((n) => {
        const p = pos.get(n.id);
        return s('g', {class: 'node', 'data-kind': n.kind},
            s('title', {}, `${n.kind}: ${n.label}${n.detail ? ` (${n.detail})` : ''}`),
            s('rect', {x: p.x, y: p.y, width: boxW, height: boxH, rx: 6, fill: COLOR[rankOf(n)] || '#fff',
                stroke: '#8c959f'}),
            s('text', {x: p.x + 8, y: p.y + 17, 'font-size': 10, fill: '#57606a',
                'text-transform': 'uppercase'}, n.kind.replace('_', ' ').toUpperCase()),
            s('text', {x: p.x + 8, y: p.y + 35, 'font-weight': 600}, clip(n.label, Math.floor(boxW / 7.4))));
    }));
    const list = h('details', {}, h('summary', {}, 'The lineage as a list'),
        h('ul', {}, fwd.map((e) => h('li', {},
            `${byId.get(e.from).kind} “${byId.get(e.from).label}” → ${e.label ? `${e.label} → ` : ''}`,
            `${byId.get(e.to).kind} “${byId.get(e.to).label}”`))));
    return h('figure', {}, svg, list);
}
