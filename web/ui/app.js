/* app.js - the reviewer's page: sign-in, routing between the inventory and a version's page. */
import {ApiError, api, session} from './api.js';
import {announce, h} from './dom.js';
import {renderInventory, renderModel} from './inventory.js';
import {renderVersion} from './version.js';

const main = document.getElementById('main');

function show(...nodes) {
    main.replaceChildren(...nodes);
}

/* Move focus to the new page's heading, so keyboard and screen-reader users land on it. */
function focusHeading() {
    const h1 = main.querySelector('h1');
    if (h1) {
        h1.setAttribute('tabindex', '-1');
        h1.focus({preventScroll: false});
    }
}

function renderSignIn(message) {
    const input = h('input', {id: 'token', name: 'token', type: 'password', autocomplete: 'off',
        spellcheck: 'false', required: true, 'aria-describedby': 'token-help'});
    const err = h('div', {id: 'signin-error', role: 'alert'});
    const form = h('form', {class: 'card signin-form', novalidate: true},
        h('label', {for: 'token'}, 'API token'),
        input,
        h('p', {id: 'token-help', class: 'note'},
            'Made by an admin with “modelgov token create --role reviewer”. Kept in this tab only ',
            '(sessionStorage): closing the tab signs you out.'),
        err,
        h('button', {type: 'submit'}, 'Sign in'));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const t = input.value.trim();
        err.replaceChildren();
        if (!t) {
            err.append(h('p', {class: 'error'}, 'Enter a token.'));
            input.focus();
            return;
        }
        try {
            await api('GET', '/models', undefined, t);
        } catch (e) {
            const why = e.status === 401 ? 'The server does not know this token (or it was revoked).'
                : `The server answered: ${e.message}`;
            err.append(h('p', {class: 'error'}, why));
            input.focus();
            return;
        }
        session.signIn(t);
        announce('Signed in.');
        route();
    });
    show(h('section', {class: 'card signin'},
        h('h1', {}, 'Sign in to review models'),
        message ? h('p', {class: 'warn-box', role: 'alert'}, message) : null,
        form));
    document.getElementById('signout').hidden = true;
    input.focus();
}

function renderError(e) {
    show(h('h1', {}, 'Something went wrong'),
        h('p', {class: 'error', role: 'alert'},
            e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : String(e && e.message || e)),
        h('p', {}, h('a', {href: '#/'}, 'Back to the inventory')));
}

let generation = 0;

async function route() {
    const mine = ++generation;
    if (!session.token()) {
        renderSignIn();
        return;
    }
    document.getElementById('signout').hidden = false;
    const path = decodeURI(location.hash.replace(/^#/, '')) || '/';
    const parts = path.split('/').filter(Boolean);
    show(h('p', {class: 'muted spin', 'aria-busy': 'true'}, 'Loading'));
    try {
        let view;
        if (parts.length === 4 && parts[0] === 'models' && parts[2] === 'versions')
            view = await renderVersion(parts[1], parts[3], route);
        else if (parts.length === 2 && parts[0] === 'models')
            view = await renderModel(parts[1]);
        else
            view = await renderInventory();
        if (mine !== generation) return; /* the reader moved on meanwhile */
        show(view);
        focusHeading();
    } catch (e) {
        if (mine !== generation) return;
        if (e instanceof ApiError && e.status === 401) {
            session.signOut();
            renderSignIn('The server refused the token: sign in again.');
            return;
        }
        renderError(e);
    }
}

document.getElementById('signout').addEventListener('click', () => {
    session.signOut();
    announce('Signed out.');
    location.hash = '#/';
    renderSignIn();
});
window.addEventListener('hashchange', route);
route();
