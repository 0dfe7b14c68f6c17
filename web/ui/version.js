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

function cardValue(v) {
    if (v === null || v === undefined) return 'n/a';
    if (typeof v === 'number') return fmt(v, 4);
    if (typeof v === 'string') return /^[0-9a-f]{64}$/.test(v) ? shortHash(v, 16) : v;
    if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(', ');
    if (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x !== 'object'))
        return Object.entries(v).map(([k, x]) => `${k}: ${typeof x === 'number' ? fmt(x, 4) : x}`).join('; ');
    return h('code', {}, JSON.stringify(v));
}

function renderCard(card) {
    if (!card) return missing('The API gave no model card for this version.');
    if (typeof card === 'string') return h('pre', {class: 'card-md'}, card);
    const skip = new Set(['metrics']);
    const entries = Object.entries(card).filter(([k]) => !skip.has(k));
    return h('dl', {class: 'card-fields'}, entries.flatMap(([k, v]) => [
        h('dt', {}, k.replace(/_/g, ' ')), h('dd', {}, cardValue(v))]));
}

function renderMetrics(metrics) {
    const rows = Object.entries(metrics || {}).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
    if (!rows.length) return missing('No metrics recorded.');
    return table(null, ['Metric', 'Value'], rows.map(([k, v]) => [k, h('span', {class: 'num'}, fmt(v, 4))]),
        {id: 'metrics'});
}

/* ---- the training run's loss curves -------------------------------------------------------- */

/* [[epoch, loss], ...] from an array of numbers or of {epoch, loss} objects. */
function curve(arr, key) {
    if (!Array.isArray(arr)) return [];
    return arr.map((p, i) => (typeof p === 'number' ? [i + 1, p]
        : [num(p.epoch ?? p.step ?? i + 1), num(p[key] ?? p.loss ?? p.value)]))
        .filter(([x, y]) => x !== null && y !== null);
}

function renderCurves(run) {
    if (!run) return missing('No training run is linked to this version (an uploaded artifact).');
    const lc = run.loss_curve || run.curves || run.history || run.loss || {};
    let train = [];
    let test = [];
    if (Array.isArray(lc)) {
        train = curve(lc, 'train_loss');
        test = curve(lc, 'test_loss');
        if (!lc.some((p) => p && p.test_loss !== undefined)) test = [];
    } else {
        train = curve(lc.train || lc.train_loss, 'loss');
        test = curve(lc.test || lc.test_loss || lc.validation, 'loss');
    }
    if (!train.length && !test.length) return missing('The run recorded no loss curve.');
    return lineChart({title: 'Loss by epoch', xLabel: 'epoch', yLabel: 'loss', series: [
        {name: 'train loss', color: '#0b5cad', points: train},
        {name: 'test loss', color: '#d1571b', dash: true, points: test}].filter((x) => x.points.length)});
}

/* ---- bias ---------------------------------------------------------------------------------- */

/* The policy's band per metric: {"DI": [0.8, 1.25]} from policy.thresholds or the defaults. */
function policyBands(policy) {
    const out = {...DEFAULT_BANDS};
    const th = policy && (policy.thresholds || policy.bias || policy.bands || policy);
    for (const [k, v] of Object.entries(th || {})) {
        if (Array.isArray(v) && v.length === 2) out[k] = v.map(Number);
        else if (v && typeof v === 'object' && ('min' in v || 'max' in v))
            out[k] = [num(v.min) ?? -Infinity, num(v.max) ?? Infinity];
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
            band, out};
    });
}

function renderBias(report, policy) {
    if (!report) return missing('No bias report yet: a submitter asks for one with POST …/reports {"kind":"bias"}.');
    const res = report.result || report.report || report;
    const rows = biasRows(res, policyBands(policy));
    if (!rows.length) return missing('The bias report holds no metrics.');
    const out = rows.filter((r) => r.out);
    const facet = res.facet ? Object.entries(res.facet).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ') : '';
    return h('div', {},
        h('p', {class: 'note'}, `${res.n ? `${res.n} rows; ` : ''}${facet ? `facet: ${facet}; ` : ''}`,
            report.artifact_sha256 ? ['computed on artifact ', shortHash(report.artifact_sha256)] : ''),
        out.length ? h('p', {class: 'warn-box'}, `Outside the policy's band: ${out.map((r) => `${r.name} = ${fmt(r.value)} (band ${fmt(r.band[0])} to ${fmt(r.band[1])})`).join('; ')}.`)
            : h('p', {class: 'ok-box'}, 'Every metric with a policy band is inside it.'),
        h('div', {id: 'bias-chart'}, biasChart(rows, {title: 'Bias metrics with the policy band'})),
        table('Bias metrics and 95% bootstrap intervals', ['Metric', 'Value', '95% interval', 'Policy band', 'Verdict'],
            rows.map((r) => [r.name, fmt(r.value, 4),
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

function renderPrivacy(p) {
    const spent = num(p.epsilon ?? p.epsilon_spent ?? p.spent);
    const total = num(p.dataset_epsilon ?? p.dataset_total_epsilon ?? p.budget_spent ?? p.total_epsilon ?? p.ledger_total);
    const max = num(p.policy_max_epsilon ?? p.max_epsilon ?? p.policy_max);
    const over = max !== null && total !== null && total > max;
    return h('div', {},
        h('div', {class: 'stat-row'},
            h('div', {}, h('div', {class: 'label'}, 'ε spent by this version'), h('div', {class: 'big', id: 'epsilon'}, fmt(spent, 4))),
            h('div', {}, h('div', {class: 'label'}, 'δ'), h('div', {class: 'big'}, fmt(p.delta, 3))),
            h('div', {}, h('div', {class: 'label'}, 'data set total ε'), h('div', {class: 'big'}, fmt(total, 4))),
            h('div', {}, h('div', {class: 'label'}, 'policy maximum ε'), h('div', {class: 'big'}, fmt(max, 4)))),
        over ? h('p', {class: 'warn-box'}, `The data set has spent ε ${fmt(total)}, more than the policy's ${fmt(max)}.`) : null,
        budgetChart({spent: spent ?? NaN, total: total ?? NaN, max: max ?? NaN}),
        h('p', {class: 'note'}, [p.noise_multiplier !== undefined ? `noise multiplier ${fmt(p.noise_multiplier)}; ` : '',
            p.max_grad_norm !== undefined ? `max grad norm ${fmt(p.max_grad_norm)}; ` : '',
            p.sample_rate !== undefined ? `sample rate ${fmt(p.sample_rate)}; ` : '',
            p.steps !== undefined ? `${p.steps} steps; ` : '',
            `accountant: ${p.accountant || 'rdp'}`].join('')));
}

/* ---- the signed log ------------------------------------------------------------------------ */

/* The entry the leaf hash covers: the answer's `entry`, or the answer without its signature. */
function entryOf(answer) {
    if (answer && answer.entry && typeof answer.entry === 'object') return answer.entry;
    const {signature, key_id, leaf_hash, ...rest} = answer || {}; // eslint-disable-line no-unused-vars
    return rest;
}

async function verifyOne(index) {
    const [raw, head] = await Promise.all([get(`/log/entries/${index}`), get('/log/tree-head')]);
    const th = head.tree_head || head;
    const proof = await get(`/log/proof/inclusion?index=${index}&size=${th.size}`);
    const publicKey = th.public_key || head.public_key || (await get('/log/public-key')).public_key;
    return verifyEntry({entry: entryOf(raw), index, proof: proof.hashes || proof.proof || proof.audit_path || [],
        treeHead: {size: th.size, root: th.root, time: th.time, signature: th.signature}, publicKey});
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

function gateList(gates) {
    return h('ul', {class: 'gates', id: 'gates'}, gates.map((g) => {
        const ok = g.ok ?? g.passed ?? g.pass ?? g.met;
        return h('li', {class: ok ? 'pass' : 'fail'},
            h('strong', {}, ok ? '✓ ' : '✗ ', g.title || g.name || g.gate || 'gate'),
            g.message || g.reason || g.detail ? [': ', g.message || g.reason || g.detail] : '');
    }));
}

function renderReview(ctx, stage, gates, history, reload) {
    const comment = h('textarea', {id: 'comment', 'aria-describedby': 'comment-help'});
    const result = h('div', {id: 'review-result', role: 'status', 'aria-live': 'polite'});
    const failing = gates ? gates.filter((g) => !(g.ok ?? g.passed ?? g.pass ?? g.met)) : [];
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
            history.map((t) => [t.time || '', t.from || '', t.to || '', t.actor || t.by || '', t.comment || '']))] : null);
}

/* ---- the page ------------------------------------------------------------------------------ */

function latestOf(reports, kind) {
    const of = reports.filter((r) => (r.kind || r.type) === kind);
    return of[of.length - 1] || null;
}

/* Fetch a report's result when the list gave only its metadata. */
async function withResult(ctx, rep) {
    if (!rep || rep.result || rep.report || rep.metrics || rep.rows) return rep;
    const full = await getOptional(`/models/${seg(ctx.name)}/versions/${seg(ctx.v)}/reports/${seg(rep.id)}`);
    return full || rep;
}

function logIndices(d, history, reports) {
    const idx = new Map();
    const add = (i, extra) => {
        const n = num(i);
        if (n !== null && !idx.has(n)) idx.set(n, {index: n, ...extra});
    };
    for (const e of asList(d.log_entries || d.log || [], 'entries'))
        typeof e === 'object' ? add(e.index ?? e.log_index, e) : add(e, {});
    for (const t of history) add(t.log_index, {time: t.time, action: 'version.transition', actor: t.actor});
    for (const r of reports) add(r.log_index, {time: r.created || r.time, action: 'report.written', actor: r.actor});
    return [...idx.values()].sort((a, b) => a.index - b.index);
}

export async function renderVersion(name, v, reroute) {
    const ctx = {name, v};
    const base = `/models/${seg(name)}/versions/${seg(v)}`;
    const [d, model, reps, trans] = await Promise.all([get(base), getOptional(`/models/${seg(name)}`),
        getOptional(`${base}/reports`), getOptional(`${base}/transitions`)]);
    const reports = asList(reps || d.reports || [], 'reports');
    const [bias, explain] = await Promise.all([withResult(ctx, latestOf(reports, 'bias')),
        withResult(ctx, latestOf(reports, 'explain'))]);
    const history = asList(trans || [], 'transitions');
    const gates = trans && Array.isArray(trans.gates) ? trans.gates : null;
    const stage = d.stage || 'unknown';
    const policy = (model && model.policy) || d.policy || {};
    const privacy = d.privacy || d.privacy_spend || null;
    const isDp = Boolean(privacy && (privacy.epsilon !== undefined || privacy.epsilon_spent !== undefined)) || Boolean(d.dp);
    const lineage = d.lineage || (await getOptional(`/lineage/version/${seg(`${name}@${v}`)}`));
    /* what each entry says (time, action, actor), read from the log itself */
    const entries = await Promise.all(logIndices(d, history, reports).map(async (e) => {
        const got = await getOptional(`/log/entries/${e.index}`);
        return got ? {...e, ...entryOf(got)} : e;
    }));
    const run = d.run || d.training_run || null;
    const toc = [['card', 'Card'], ['metrics-s', 'Metrics'], ['training', 'Training'], ['bias', 'Bias'],
        ['explain', 'Explanations'], isDp ? ['privacy', 'Privacy'] : null, ['lineage', 'Lineage'], ['log', 'Log'],
        ['review', 'Review']].filter(Boolean);
    return h('div', {},
        h('p', {}, h('a', {href: '#/'}, '← Inventory'), ' · ', h('a', {href: `#/models/${seg(name)}`}, name)),
        h('h1', {}, `${name} v${v} `, stageBadge(stage)),
        h('p', {class: 'sub'}, `${d.model_type || (d.card && d.card.model_type) || ''}${isDp ? ' · differentially private' : ''}`,
            d.submitter ? ` · submitted by ${d.submitter}` : '', ' · artifact ', shortHash(d.artifact_sha256 || d.sha256)),
        h('nav', {class: 'toc', 'aria-label': 'Sections of this version'}, toc.map(([id, t]) => h('a', {href: `#/models/${seg(name)}/versions/${seg(v)}`, 'data-target': id,
            onclick: (ev) => { ev.preventDefault(); const el = document.getElementById(id); el.scrollIntoView(); el.querySelector('h2').setAttribute('tabindex', '-1'); el.querySelector('h2').focus(); }}, t))),
        h('div', {class: 'grid2'},
            section('card', 'Model card', renderCard(d.card)),
            section('metrics-s', 'Metrics', renderMetrics(d.metrics || (run && run.metrics)))),
        section('training', 'Training run', renderCurves(run)),
        section('bias', 'Bias report', renderBias(bias, policy)),
        section('explain', 'Explanations', renderExplain(explain)),
        isDp ? section('privacy', 'Differential privacy', renderPrivacy(privacy)) : null,
        section('lineage', 'Lineage', lineage ? lineageGraph(lineage) : missing('The API gave no lineage for this version.')),
        section('log', 'Signed log entries', renderLog(entries)),
        section('review', 'Review', renderReview(ctx, stage, gates, history, reroute)));
}

