/* inventory.js - the model inventory: owner, risk tier, latest version, stage, what awaits review. */
import {get, seg} from './api.js';
import {h, stageBadge, table} from './dom.js';
import {asList, versionId} from './shapes.js';

export const versionHref = (model, v) => `#/models/${seg(model)}/versions/${seg(v)}`;

function tier(t) {
    return h('span', {class: `tier tier-${String(t || '').toLowerCase()}`}, t || 'n/a');
}

/* Every model with its versions (newest last), fetched in parallel. */
async function loadInventory() {
    const models = asList(await get('/models'), 'models');
    const versions = await Promise.all(models.map((m) =>
        get(`/models/${seg(m.name)}/versions`).then((d) => asList(d, 'versions'))));
    return models.map((m, i) => ({model: m, versions: versions[i].slice().sort(
        (a, b) => Number(versionId(a)) - Number(versionId(b)))}));
}

export async function renderInventory() {
    const inv = await loadInventory();
    const pending = [];
    const rows = inv.map(({model, versions}) => {
        const latest = versions[versions.length - 1];
        const waiting = versions.filter((v) => v.stage === 'pending_review');
        for (const v of waiting) pending.push({model, v});
        return [
            [h('a', {href: `#/models/${seg(model.name)}`}, model.name),
                model.description ? h('div', {class: 'note'}, model.description) : null],
            model.owner || 'n/a',
            tier(model.risk_tier),
            latest ? h('a', {href: versionHref(model.name, versionId(latest))},
                `v${versionId(latest)}`) : h('span', {class: 'muted'}, 'none yet'),
            latest ? stageBadge(latest.stage) : '',
            waiting.length ? waiting.map((v, i) => [i ? ', ' : '',
                h('a', {href: versionHref(model.name, versionId(v))}, `v${versionId(v)}`)])
                : h('span', {class: 'muted'}, 'nothing'),
        ];
    });
    const queue = pending.length
        ? h('ul', {}, pending.map(({model, v}) => h('li', {},
            h('a', {href: versionHref(model.name, versionId(v))}, `${model.name} v${versionId(v)}`),
            ` — ${model.description ? `${model.description}; ` : ''}submitted by ${v.submitter || 'n/a'}`,
            v.updated || v.created ? ` on ${String(v.updated || v.created).replace('T', ' ').replace('Z', ' UTC')}` : '')))
        : h('p', {class: 'muted'}, 'Nothing is waiting for review.');
    return h('div', {},
        h('h1', {}, 'Model inventory'),
        h('p', {class: 'sub'}, `${inv.length} model${inv.length === 1 ? '' : 's'}; `,
            `${pending.length} version${pending.length === 1 ? '' : 's'} waiting for review.`),
        h('section', {class: 'card', 'aria-labelledby': 'q-h'},
            h('h2', {id: 'q-h'}, 'Waiting for review'), queue),
        h('section', {class: 'card', 'aria-labelledby': 'inv-h'},
            h('h2', {id: 'inv-h'}, 'Models'),
            inv.length ? table(null, ['Model', 'Owner', 'Risk tier', 'Latest version', 'Stage',
                'Awaiting review'], rows, {id: 'inventory'})
                : h('p', {class: 'muted'}, 'No models registered yet.')));
}

/* One model: its inventory entry and every version. */
export async function renderModel(name) {
    const [model, vs] = await Promise.all([get(`/models/${seg(name)}`),
        get(`/models/${seg(name)}/versions`)]);
    const versions = asList(vs, 'versions');
    return h('div', {},
        h('p', {}, h('a', {href: '#/'}, '← Inventory')),
        h('h1', {}, model.name || name),
        h('p', {class: 'sub'}, model.description || ''),
        h('section', {class: 'card'},
            h('h2', {}, 'Inventory entry'),
            h('dl', {class: 'card-fields'},
                h('dt', {}, 'Owner'), h('dd', {}, model.owner || 'n/a'),
                h('dt', {}, 'Risk tier'), h('dd', {}, tier(model.risk_tier)),
                h('dt', {}, 'Intended use'), h('dd', {}, model.intended_use || 'not stated'),
                h('dt', {}, 'Policy'), h('dd', {}, h('code', {}, JSON.stringify(model.policy || {}))))),
        h('section', {class: 'card'},
            h('h2', {}, 'Versions'),
            versions.length ? table(null, ['Version', 'Stage', 'Description', 'Submitter', 'Created'],
                versions.map((v) => [h('a', {href: versionHref(name, versionId(v))}, `v${versionId(v)}`),
                    stageBadge(v.stage), v.description || '', v.submitter || 'n/a',
                    v.created || 'n/a']))
                : h('p', {class: 'muted'}, 'No versions yet.')));
}
