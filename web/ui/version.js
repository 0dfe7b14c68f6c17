/* version.js - one model version for its reviewer: card, metrics, loss curves, bias, explanations,
 * privacy budget, lineage, log entries verified in the browser, and approve / reject. */
import {api, get, getOptional, seg} from './api.js';
import {announce, fmt, h, shortHash, stageBadge, table} from './dom.js';
import {biasChart, budgetChart, importanceChart, lineChart, waterfallChart} from './charts.js';
import {lineageGraph} from './lineage.js';
import {asList, num} from './shapes.js';
import {verifyEntry} from './verify.js';

/* DESIGN §5's default when the model's policy says nothing: DI within [0.8, 1.25]. */
const DEFAULT_BANDS = {DI: [0.8, 1.25]};

const section = (id, title, ...kids) => h('section', {class: 'card', id, 'aria-labelledby': `${id}-h`},
    h('h2', {id: `${id}-h`}, title), ...kids);

const missing = (what) => h('p', {class: 'muted'}, what);

/* ---- model card and metrics ---------------------------------------------------------------- */

const dl = (pairs) => h('dl', {class: 'card-fields'}, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

/* The card of governance (GET …/card): the parts a reviewer reads first; the rest has its own section. */
function renderCard(card) {
    if (!card) return missing('The API gave no model card for this version.');
    const m = card.model || {};
    const v = card.version || {};
    const data = card.training_data || {};
    const run = card.training_run || {};
    const cfg = run.config || {};
    const priv = card.privacy || {};
    const feats = (card.top_features && card.top_features.features) || [];
    return dl([
        ['Model', `${m.name || ''}${m.description ? ` — ${m.description}` : ''}`],
        ['Intended use', m.intended_use || h('span', {class: 'muted'}, 'not stated')],
        ['Owner · risk tier', `${m.owner || 'n/a'} · ${m.risk_tier || 'n/a'}`],
        ['Version', [`v${v.number ?? ''} by ${v.submitter || 'n/a'}`, v.description ? ` — ${v.description}` : '']],
        ['Artifact', shortHash(v.artifact_sha256, 16)],
        ['Training data', data.name ? [`${data.name}, ${data.rows ?? '?'} rows, `, shortHash(data.sha256, 16)] : null],
        ['Training', cfg.model ? `${cfg.model}${cfg.hidden ? ` ${JSON.stringify(cfg.hidden)}` : ''}, ${cfg.epochs ?? '?'} epochs, seed ${run.seed ?? cfg.seed ?? '?'}${cfg.ignore ? `, not using ${cfg.ignore.join(', ')}` : ''} (${run.code_version || ''})` : null],
        ['Privacy', priv.differentially_private && priv.training_run
            ? `differentially private: ε ${fmt(priv.training_run.epsilon)} at δ ${fmt(priv.training_run.delta)} (${priv.training_run.kind || 'rdp'})`
            : 'not differentially private'],
        ['Top features', feats.length ? feats.slice(0, 5).map((f) => `${f.column} (${fmt(f.importance)})`).join(', ') : null],
        ['Policy', m.policy ? h('code', {}, JSON.stringify(m.policy)) : null],
    ]);
}

function renderMetrics(metrics) {
    const rows = Object.entries(metrics || {}).filter(([, v]) => typeof v === 'number');
    if (!rows.length) return missing('No metrics recorded.');
    const cm = metrics.confusion_matrix;
    return h('div', {},
        table('On the held-out test rows', ['Metric', 'Value'], rows.map(([k, v]) => [k, h('span', {class: 'num'}, fmt(v, 4))]),
            {id: 'metrics'}),
        Array.isArray(cm) && cm.length === 2 ? table('Confusion matrix (rows: actual, columns: predicted)',
            ['', 'negative', 'positive'], [['negative', String(cm[0][0]), String(cm[0][1])], ['positive', String(cm[1][0]), String(cm[1][1])]]) : null);
}

/* ---- the training run's loss curves -------------------------------------------------------- */

/* [[epoch, loss], ...] from an array of numbers or of {epoch, loss} objects. */
function curve(arr, key) {
    if (!Array.isArray(arr)) return [];
    return arr.map((p, i) => (p !== null && typeof p === 'object'
        ? [num(p.epoch ?? p.step ?? i + 1), num(p[key] ?? p.loss ?? p.value)] : [i + 1, num(p)]))
        .filter(([x, y]) => x !== null && y !== null);
}

function renderCurves(run) {
    if (!run) return missing('No training run is linked to this version (an uploaded artifact).');
    let lc = run.loss_curves || run.loss_curves_json || null;
    if (typeof lc === 'string') {
        try { lc = JSON.parse(lc); } catch { lc = null; }
    }
    const train = curve(lc && lc.train, 'loss');
    const test = curve(lc && (lc.eval || lc.test), 'loss');
    if (!train.length && !test.length) return missing(`Run ${run.id} recorded no loss curve.`);
    const cfg = run.config || {};
    return h('div', {},
        h('p', {class: 'note'}, `Run ${run.id} on data set “${run.dataset_name || run.dataset_id}”: ${cfg.model || ''}, `,
            `${cfg.optimizer || 'adam'}, lr ${cfg.lr ?? 'default'}, batch ${cfg.batch ?? 'default'}, seed ${run.seed ?? ''}; `,
            `${run.started_by ? `started by ${run.started_by}, ` : ''}${run.finished || ''}.`),
        lineChart({title: 'Loss by epoch', xLabel: 'epoch', yLabel: 'loss', series: [
            {name: 'train loss (epoch mean)', color: '#0b5cad', points: train},
            {name: 'test loss', color: '#d1571b', dash: true, points: test}].filter((x) => x.points.length)}));
}

/* ---- bias ---------------------------------------------------------------------------------- */

/* The policy's band per metric: {"DI": [0.8, 1.25]} from policy.thresholds or the defaults. */
function policyBands(policy) {
    const bias = policy && Object.keys(policy).length ? policy.bias || {} : DEFAULT_BANDS;
    const out = {};
    for (const [k, v] of Object.entries(bias)) {
        if (Array.isArray(v) && v.length === 2) out[k] = v.map(Number);
        else if (v && typeof v === 'object') out[k] = [num(v.min) ?? -Infinity, num(v.max) ?? Infinity];
    }
    return out;
}

function biasRows(result, bands) {
    return Object.entries(result.metrics || {}).map(([name, m]) => {
        const value = num(typeof m === 'number' ? m : m.value);
        const ci = m && (m.ci95 || m.ci);
        const band = bands[name] || (name === 'DCA' && bands.DCAcc) || null;
        const out = band && value !== null ? value < band[0] || value > band[1] : false;
        return {name, value: value ?? NaN, lo: ci ? num(ci[0]) ?? NaN : NaN, hi: ci ? num(ci[1]) ?? NaN : NaN,
            band, out, description: m && m.description};
    });
}

function renderBias(report, policy) {
    if (!report) return missing('No bias report yet: a submitter asks for one with POST …/reports {"kind":"bias"}.');
    const res = report.result || report.report || report;
    const rows = biasRows(res, policyBands(policy));
    if (!rows.length) return missing('The bias report holds no metrics.');
    const out = rows.filter((r) => r.out);
    const f = res.facet || {};
    const lab = res.label || {};
    const boot = res.bootstrap ? `; ${res.bootstrap.samples} bootstrap samples` : '';
    return h('div', {},
        h('p', {class: 'note'}, `Facet ${f.spec || f.column || '?'} (${f.nd ?? '?'} rows) against the rest (${f.na ?? '?'} rows); `,
            `label ${lab.column || '?'} = ${(lab.values || []).join(',')}${boot}; report ${report.id}, computed on artifact `,
            shortHash(report.artifact_sha256), report.fresh === false ? ' — not the current artifact' : ''),
        out.length ? h('p', {class: 'warn-box'}, `Outside the policy's band: ${out.map((r) => `${r.name} = ${fmt(r.value)} (band ${fmt(r.band[0])} to ${fmt(r.band[1])})`).join('; ')}.`)
            : h('p', {class: 'ok-box'}, 'Every metric with a policy band is inside it.'),
        h('div', {id: 'bias-chart'}, biasChart(rows, {title: 'Bias metrics with the policy band'})),
        table('Bias metrics and 95% bootstrap intervals', ['Metric', 'Value', '95% interval', 'Policy band', 'Verdict'],
            rows.map((r) => [h('abbr', {title: r.description || r.name}, r.name), fmt(r.value, 4),
                Number.isFinite(r.lo) ? `[${fmt(r.lo, 4)}, ${fmt(r.hi, 4)}]` : 'not bootstrapped',
                r.band ? `[${fmt(r.band[0])}, ${fmt(r.band[1])}]` : '—',
                r.band ? h('span', {class: r.out ? 'fail' : 'pass'}, r.out ? '✗ outside' : '✓ inside') : '—']),
            {id: 'bias-table'}));
}

/* ---- explanations -------------------------------------------------------------------------- */

function renderExplain(report) {
    if (!report) return missing('No explainability report yet: POST …/reports {"kind":"explain"}.');
    const res = report.result || report.report || report;
    const global = Object.entries(res.global || {}).map(([k, v]) => [k, num(v)]).filter(([, v]) => v !== null)
        .sort((a, b) => b[1] - a[1]);
    const rows = res.rows || [];
    const pick = h('select', {id: 'shap-row'}, rows.map((r, i) => h('option', {value: i}, `row ${r.row ?? i}`)));
    const holder = h('div', {id: 'waterfall'});
    const draw = () => {
        const r = rows[Number(pick.value) || 0];
        if (!r) return;
        holder.replaceChildren(waterfallChart({base: num(r.base_value ?? res.base_value) ?? 0,
            prediction: num(r.prediction), phi: Object.fromEntries(Object.entries(r.phi || {}).map(([k, v]) => [k, Number(v)])),
            title: `SHAP contributions for row ${r.row ?? ''}`}));
    };
    pick.addEventListener('change', draw);
    draw();
    return h('div', {},
        h('p', {class: 'note'}, `Method: ${res.method || 'n/a'}; contributions on the original columns.`),
        h('div', {class: 'grid2'},
            h('div', {}, h('h3', {}, 'Global importance (mean |SHAP|)'),
                global.length ? importanceChart(global) : missing('No global importance.')),
            h('div', {}, h('h3', {}, 'One row\'s contributions'),
                rows.length ? [h('label', {for: 'shap-row'}, 'Row'), pick, holder] : missing('No rows explained.'))));
}

/* ---- privacy ------------------------------------------------------------------------------- */

/* ε of this version's run, the data set's ledger total, the policy's maximum. */
function renderPrivacy({run, dataset, policy, privacy}) {
    const own = (run && (run.privacy_ledger || run.privacy)) || privacy || {};
    const ledger = (dataset && dataset.privacy_ledger) || null;
    const spent = num(own.epsilon);
    const total = ledger ? num(ledger.epsilon) : null;
    const unbounded = ledger && total === null && (ledger.unbounded_runs || []).length;
    const max = num(policy && policy.max_epsilon);
    const over = max !== null && total !== null && total > max;
    const ev = (run && run.privacy && run.privacy.events && run.privacy.events[0]) || {};
    const cfg = (run && run.config && run.config.dp) || {};
    const stat = (label, value, id) => h('div', {}, h('div', {class: 'label'}, label), h('div', {class: 'big', id}, value));
    return h('div', {},
        h('div', {class: 'stat-row'},
            stat('ε spent by this version', fmt(spent, 4), 'epsilon'),
            stat('δ', fmt(own.delta, 3)),
            stat(`ε spent on data set “${dataset ? dataset.name : '?'}”`, unbounded ? '∞' : fmt(total, 4), 'epsilon-total'),
            stat('policy maximum ε', max === null ? 'none' : fmt(max, 4), 'epsilon-max')),
        unbounded ? h('p', {class: 'warn-box'}, `The data set has no privacy guarantee: ${unbounded} run(s) trained on it without DP `,
            `(run ${ledger.unbounded_runs.join(', ')}).`) : null,
        over ? h('p', {class: 'warn-box'}, `The data set has spent ε ${fmt(total)}, more than the policy's ${fmt(max)}.`) : null,
        max === null ? h('p', {class: 'note'}, 'The model\'s policy sets no maximum ε, so no privacy gate applies.') : null,
        budgetChart({spent: spent ?? NaN, total: unbounded ? NaN : total ?? NaN, max: max ?? NaN}),
        h('p', {class: 'note'}, [`DP-SGD: max grad norm ${fmt(cfg.max_grad_norm)}`,
            ev.noise_multiplier !== undefined ? `noise multiplier ${fmt(ev.noise_multiplier, 4)}` : null,
            ev.sample_rate !== undefined ? `sample rate ${fmt(ev.sample_rate, 3)}` : null,
            ev.steps !== undefined ? `${ev.steps} steps` : null,
            cfg.target_epsilon !== undefined ? `target ε ${fmt(cfg.target_epsilon)}` : null,
            `accountant: ${own.kind || 'rdp'}${ledger && ledger.best_order ? ` (data set total at order ${fmt(ledger.best_order)})` : ''}`]
            .filter(Boolean).join('; ') + '.'));
}

/* ---- the signed log ------------------------------------------------------------------------ */

/* The entry the leaf hash covers: the answer's `entry`, or the answer without its signature. */
function entryOf(answer) {
    if (answer && answer.entry && typeof answer.entry === 'object') return answer.entry;
    const {signature, key_id, leaf_hash, ...rest} = answer || {}; // eslint-disable-line no-unused-vars
    return rest;
}

/* The tree head is taken only from the proof's signed head; the key by its id from /log/keys. */
async function verifyOne(index) {
    const [raw, proof, keys] = await Promise.all([get(`/log/entries/${index}`),
        get(`/log/proof/inclusion?index=${index}`), get('/log/keys')]);
    const th = proof.tree_head;
    if (!th || !th.signature) throw new Error('the proof came without a signed tree head: refused');
    const key = asList(keys, 'keys').find((k) => k.key_id === th.key_id);
    if (!key) throw new Error(`no public key with id ${String(th.key_id).slice(0, 12)}… in /log/keys`);
    const r = await verifyEntry({entry: entryOf(raw), index, proof: proof.proof || proof.hashes || [],
        treeHead: {size: th.size, root: th.root, time: th.time, signature: th.signature}, publicKey: key.public_key});
    r.steps[2].detail += ` (key ${th.key_id.slice(0, 12)}…, ${key.status || 'active'})`;
    return r;
}

function renderLog(entries) {
    if (!entries.length) return missing('No log entries found for this version.');
    const rows = entries.map((e) => {
        const out = h('div', {class: 'verify-result', 'aria-live': 'polite'});
        const btn = h('button', {type: 'button', class: 'small secondary verify',
            'aria-label': `Verify log entry ${e.index}`, 'data-index': e.index}, 'Verify');
        btn.addEventListener('click', async () => {
            btn.disabled = true;
            out.replaceChildren(h('span', {class: 'spin'}, 'Checking'));
            try {
                const r = await verifyOne(e.index);
                const unsupported = r.steps.some((st) => st.ok === null);
                const incl = r.steps[1].ok;
                out.replaceChildren(
                    h('span', {class: `verdict ${r.ok ? 'pass' : incl && unsupported ? '' : 'fail'}`, 'data-verdict': r.ok ? 'accepted' : incl && unsupported ? 'partial' : 'rejected'},
                        r.ok ? '✓ Proof accepted' : incl && unsupported ? '✓ Inclusion proof accepted; signature not checked' : '✗ Proof rejected'),
                    h('ol', {class: 'proof-steps'}, r.steps.map((st) => h('li', {},
                        h('span', {class: st.ok ? 'pass' : st.ok === null ? 'muted' : 'fail'}, st.ok ? '✓ ' : st.ok === null ? '– ' : '✗ '),
                        `${st.name}: ${st.detail}`))));
                announce(`Log entry ${e.index}: ${r.ok ? 'proof accepted' : 'proof rejected'}.`);
            } catch (err) {
                out.replaceChildren(h('span', {class: 'fail'}, `✗ Could not check: ${err.message}`));
                announce(`Log entry ${e.index}: could not check (${err.message}).`);
            } finally {
                btn.disabled = false;
            }
        });
        return [String(e.index), e.time || '', e.action || '', e.actor || '', h('div', {}, btn, out)];
    });
    return h('div', {},
        h('p', {class: 'note'}, 'Verify recomputes the entry\'s RFC 6962 leaf hash from its canonical JSON here, walks ',
            'the inclusion proof to the root (RFC 9162 §2.1.3.2), and checks the Ed25519 signature of that tree ',
            'head — all with this browser\'s WebCrypto, trusting nothing the server computed.'),
        table(null, ['#', 'Time', 'Action', 'Actor', 'Check'], rows, {id: 'log-table'}));
}

/* ---- review: gates and the decision -------------------------------------------------------- */

const GATE_NAMES = {separation_of_duties: 'Separation of duties', bias_report: 'Bias report on this artifact',
    explain_report: 'Explainability report on this artifact', 'policy.max_epsilon': 'Privacy budget (policy maximum ε)'};

function gateTitle(g) {
    const id = g.gate || g.name || 'gate';
    if (GATE_NAMES[id]) return GATE_NAMES[id];
    const m = id.match(/^policy\.(bias|metrics)\.(.+)$/);
    return m ? `Policy: ${m[2]} within its ${m[1] === 'bias' ? 'bias band' : 'range'}` : id;
}

const gateOk = (g) => Boolean(g.passed ?? g.ok ?? g.pass);

function gateList(gates) {
    return h('ul', {class: 'gates', id: 'gates'}, gates.map((g) => h('li', {class: gateOk(g) ? 'pass' : 'fail'},
        h('strong', {}, gateOk(g) ? '✓ ' : '✗ ', gateTitle(g)),
        g.detail || g.message ? [': ', g.detail || g.message] : '')));
}

function renderReview(ctx, stage, gates, history, reload) {
    const comment = h('textarea', {id: 'comment', 'aria-describedby': 'comment-help'});
    const result = h('div', {id: 'review-result', role: 'status', 'aria-live': 'polite'});
    const failing = gates ? gates.filter((g) => !gateOk(g)) : [];
    const canDecide = stage === 'pending_review';
    const approve = h('button', {type: 'button', id: 'approve', disabled: !canDecide || failing.length > 0,
        'aria-describedby': 'gates-summary'}, 'Approve');
    const reject = h('button', {type: 'button', id: 'reject', class: 'danger', disabled: !canDecide}, 'Reject');
    const decide = async (to) => {
        if (to === 'rejected' && !comment.value.trim()) {
            result.replaceChildren(h('p', {class: 'error'}, 'Say why in the comment before rejecting.'));
            comment.focus();
            return;
        }
        approve.disabled = reject.disabled = true;
        try {
            await api('POST', `/models/${seg(ctx.name)}/versions/${seg(ctx.v)}/transitions`,
                {to, comment: comment.value.trim()});
            announce(`Version ${ctx.v} is now ${to.replace('_', ' ')}.`);
            await reload();
        } catch (e) {
            const list = e.body && e.body.error && (e.body.error.gates || e.body.error.failing);
            result.replaceChildren(h('div', {class: 'error', role: 'alert'},
                h('p', {}, e.status === 409 ? 'The server refused: a gate is not met.' : e.status === 403
                    ? 'Your token may not do this (reviewers approve and reject).' : 'The server refused.'),
                h('p', {}, e.message),
                Array.isArray(list) ? gateList(list) : null));
            announce(`Refused: ${e.message}`);
            approve.disabled = !canDecide || failing.length > 0;
            reject.disabled = !canDecide;
        }
    };
    approve.addEventListener('click', () => decide('approved'));
    reject.addEventListener('click', () => decide('rejected'));
    const summary = !gates ? 'The server did not say which gates hold; it checks them when you approve.'
        : failing.length ? `${failing.length} gate${failing.length > 1 ? 's' : ''} not met: approval is blocked until ${failing.length > 1 ? 'they are' : 'it is'}.`
            : 'Every gate is met.';
    return h('div', {},
        h('p', {}, 'Stage: ', h('span', {id: 'stage'}, stageBadge(stage))),
        h('h3', {}, 'Gates for approval'),
        gates ? gateList(gates) : null,
        h('p', {id: 'gates-summary', class: failing.length ? 'fail' : gates ? 'pass' : 'muted'}, summary),
        canDecide ? null : h('p', {class: 'note'}, `Only a version pending review can be approved or rejected; this one is ${stage.replace('_', ' ')}.`),
        h('label', {for: 'comment'}, 'Comment (recorded in the signed log)'),
        comment,
        h('p', {id: 'comment-help', class: 'note'}, 'Required to reject; optional to approve.'),
        h('div', {class: 'row'}, approve, reject),
        result,
        history.length ? [h('h3', {}, 'History'), table(null, ['Time', 'From', 'To', 'By', 'Comment'],
            history.map((t) => [t.created || t.time || '', t.from || t.from_stage || '', t.to || t.to_stage || '',
                t.actor || '', t.comment || '']))] : null);
}

/* ---- the page ------------------------------------------------------------------------------ */

function latestOf(reports, kind) {
    const of = reports.filter((r) => (r.kind || r.type) === kind);
    return of[of.length - 1] || null;
}

/* A report's document (GET /reports/{id}: checked against its sha256 by the server). */
async function withDocument(rep) {
    if (!rep) return null;
    const full = await get(`/reports/${seg(rep.id)}`);
    return {...rep, ...full, result: full.document || full.result};
}

/* Every log entry about this version: run start and end, registration, reports, transitions. */
function logIndices(d, run, reports, history, card) {
    const idx = new Set();
    const add = (i) => {
        const n = num(i);
        if (n !== null) idx.add(n);
    };
    if (run) {
        add(run.start_index);
        add(run.finish_index);
    }
    add(d.log_index);
    reports.forEach((r) => add(r.log_index));
    history.forEach((t) => add(t.log_index));
    (card && card.evidence ? card.evidence.log_entries || [] : []).forEach((e) => add(e.log_index ?? e));
    return [...idx].sort((a, b) => a - b).map((index) => ({index}));
}

export async function renderVersion(name, v, reroute) {
    const ctx = {name, v};
    const base = `/models/${seg(name)}/versions/${seg(v)}`;
    const [d, model, reps, trans, gates] = await Promise.all([get(base), getOptional(`/models/${seg(name)}`),
        getOptional(`${base}/reports`), getOptional(`${base}/transitions`), getOptional(`${base}/gates`)]);
    const {card, lineage} = d;
    const reports = asList(reps || d.reports || [], 'reports');
    const run = d.run_id ? await getOptional(`/runs/${seg(d.run_id)}`) : null;
    const [bias, explain, dataset] = await Promise.all([
        withDocument(latestOf(reports.filter((r) => r.fresh !== false), 'bias') || latestOf(reports, 'bias')),
        withDocument(latestOf(reports.filter((r) => r.fresh !== false), 'explain') || latestOf(reports, 'explain')),
        run && run.dataset_id ? getOptional(`/datasets/${seg(run.dataset_id)}`) : null]);
    const history = asList(trans || d.transitions || [], 'transitions');
    const stage = d.stage || 'unknown';
    const policy = (model && model.policy) || {};
    const cfg = (run && run.config) || {};
    const isDp = Boolean(cfg.dp) || Boolean(d.privacy && d.privacy.kind === 'rdp');
    /* what each entry says (time, action, actor), read from the log itself */
    const entries = await Promise.all(logIndices(d, run, reports, history, card).map(async (e) => {
        const got = await getOptional(`/log/entries/${e.index}`);
        return got ? {...e, ...entryOf(got)} : e;
    }));
    const toc = [['card', 'Card'], ['metrics-s', 'Metrics'], ['training', 'Training'], ['bias', 'Bias'],
        ['explain', 'Explanations'], isDp ? ['privacy', 'Privacy'] : null, ['lineage', 'Lineage'], ['log', 'Log'],
        ['review', 'Review']].filter(Boolean);
    const jump = (id) => (ev) => {
        ev.preventDefault();
        const el = document.getElementById(id);
        el.scrollIntoView();
        const h2 = el.querySelector('h2');
        h2.setAttribute('tabindex', '-1');
        h2.focus();
    };
    return h('div', {},
        h('p', {}, h('a', {href: '#/'}, '← Inventory'), ' · ', h('a', {href: `#/models/${seg(name)}`}, name)),
        h('h1', {}, `${name} v${v} `, stageBadge(stage)),
        h('p', {class: 'sub'}, `${cfg.model || 'uploaded artifact'}${isDp ? ' · differentially private' : ''}`,
            d.submitter ? ` · submitted by ${d.submitter}` : '', ' · artifact ', shortHash(d.artifact_sha256)),
        h('nav', {class: 'toc', 'aria-label': 'Sections of this version'},
            toc.map(([id, t]) => h('a', {href: `#/models/${seg(name)}/versions/${seg(v)}`, onclick: jump(id)}, t))),
        h('div', {class: 'grid2'},
            section('card', 'Model card', renderCard(card)),
            section('metrics-s', 'Metrics', renderMetrics(d.metrics || (run && run.metrics)))),
        section('training', 'Training run', renderCurves(run)),
        section('bias', 'Bias report', renderBias(bias, policy)),
        section('explain', 'Explanations', renderExplain(explain)),
        isDp ? section('privacy', 'Differential privacy', renderPrivacy({run, dataset, policy, privacy: d.privacy})) : null,
        section('lineage', 'Lineage', lineage ? lineageGraph(lineage) : missing('The API gave no lineage for this version.')),
        section('log', 'Signed log entries', renderLog(entries)),
        section('review', 'Review', renderReview(ctx, stage, gates ? gates.gates : null, history, reroute)));
}
