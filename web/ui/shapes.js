/* shapes.js - read the API's JSON answers: lists, ids and numbers, tolerating absent fields. */

/* The array of a list answer: the answer itself, or its `key` member. */
export function asList(data, key) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data[key])) return data[key];
    return [];
}

/* A version's number, whichever name the answer gives it. */
export const versionId = (v) => (v.version ?? v.number ?? v.id);

/* A finite number or null. */
export function num(x) {
    if (x === null || x === undefined || x === '') return null;
    const n = Number(x);
    return Number.isFinite(n) ? n : null;
}
