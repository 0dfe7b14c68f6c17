/* api.js - the web API (/api/v1) with the signed-in token; the token lives in sessionStorage only. */
const KEY = 'modelgov.token';

export const session = {
    token: () => sessionStorage.getItem(KEY),
    signIn: (t) => sessionStorage.setItem(KEY, t),
    signOut: () => sessionStorage.removeItem(KEY),
};

/* An error answer of DESIGN §4: {"error":{"code","message"}} plus the HTTP status. */
export class ApiError extends Error {
    constructor(status, code, message, body) {
        super(message);
        this.status = status;
        this.code = code;
        this.body = body;
    }
}

/* Call the API: JSON in, JSON out; throws ApiError on a non-2xx answer. */
export async function api(method, path, body, token = session.token()) {
    const headers = {Accept: 'application/json'};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
        res = await fetch(`/api/v1${path}`, {
            method, headers, body: body === undefined ? undefined : JSON.stringify(body),
            cache: 'no-store', credentials: 'omit',
        });
    } catch (e) {
        throw new ApiError(0, 'network', `the server did not answer (${e.message})`);
    }
    let data = null;
    const text = await res.text();
    if (text) {
        try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) {
        const err = data && data.error ? data.error : {};
        throw new ApiError(res.status, err.code || String(res.status),
            err.message || `${method} ${path}: HTTP ${res.status}`, data);
    }
    return data;
}

export const get = (path) => api('GET', path);

/* GET, but a 404 is "not there (yet)": null instead of an error. */
export async function getOptional(path) {
    try {
        return await api('GET', path);
    } catch (e) {
        if (e.status === 404) return null;
        throw e;
    }
}

/* URL path segment. */
export const seg = (x) => encodeURIComponent(String(x));
