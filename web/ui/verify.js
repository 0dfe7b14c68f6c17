/* verify.js - check a log entry in the browser with WebCrypto: RFC 8785 canonical bytes, RFC 6962
 * §2.1 leaf and node hashes, the RFC 9162 §2.1.3.2 inclusion proof, and the Ed25519 signature
 * over the tree head {"size","root","time"} the proof ends at. No server answer is trusted
 * alone: the leaf is recomputed from the entry shown, the root must be the signed one. */
const subtle = globalThis.crypto.subtle;

export function hexToBytes(hex) {
    if (typeof hex !== 'string' || hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex))
        throw new Error(`not a hex string: ${String(hex).slice(0, 20)}`);
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
    return out;
}

export const bytesToHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function base64ToBytes(text) {
    const bin = atob(text);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const utf8 = (str) => new TextEncoder().encode(str);

async function sha256(...parts) {
    const len = parts.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(len);
    let off = 0;
    for (const p of parts) {
        buf.set(p, off);
        off += p.length;
    }
    return new Uint8Array(await subtle.digest('SHA-256', buf));
}

/* RFC 6962 §2.1: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right). */
export const leafHash = (data) => sha256(Uint8Array.of(0), data);
export const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
}

/*
 * RFC 8785 (JCS): members sorted by UTF-16 code units (what Array.prototype.sort does with
 * strings), no whitespace, strings and numbers written as ECMAScript's JSON.stringify does.
 */
export function canonicalize(v) {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new Error('canonical JSON has no NaN or Infinity');
        return JSON.stringify(v);
    }
    if (Array.isArray(v)) return `[${v.map(canonicalize).join(',')}]`;
    if (typeof v === 'object')
        return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalize(v[k])}`).join(',')}}`;
    throw new Error(`canonical JSON cannot hold a ${typeof v}`);
}

/*
 * RFC 9162 §2.1.3.2: does `leaf` (a leaf hash) sit at `index` of the tree of `size` leaves
 * whose root is `root`, given the audit path `proof` (deepest sibling first)?
 * Returns {ok, reason, computed}. BigInt keeps indices exact past 2^32.
 */
export async function verifyInclusion(index, size, leaf, proof, root) {
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    if (fn > sn) return {ok: false, reason: `index ${index} is not below the tree size ${size}`};
    let r = leaf;
    for (const p of proof) {
        if (sn === 0n) return {ok: false, reason: 'the proof has more hashes than the path needs'};
        if ((fn & 1n) === 1n || fn === sn) {
            r = await nodeHash(p, r);
            while ((fn & 1n) === 0n && fn !== 0n) {
                fn >>= 1n;
                sn >>= 1n;
            }
        } else {
            r = await nodeHash(r, p);
        }
        fn >>= 1n;
        sn >>= 1n;
    }
    if (sn !== 0n) return {ok: false, reason: 'the proof has fewer hashes than the path needs', computed: r};
    if (!equal(r, root)) return {ok: false, reason: 'the root recomputed from the proof is not the signed root', computed: r};
    return {ok: true, computed: r};
}

/* The DER bytes of a PEM block ("-----BEGIN PUBLIC KEY-----"). */
export function pemToDer(pem) {
    const b64 = pem.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');
    return base64ToBytes(b64);
}

/*
 * Ed25519 signature check with WebCrypto. `key` is SubjectPublicKeyInfo PEM, or 32 raw bytes
 * as hex. Returns {supported:false, reason} when this browser's SubtleCrypto lacks Ed25519,
 * else {supported:true, ok}.
 */
export async function verifyEd25519(key, message, signature) {
    let k;
    try {
        k = typeof key === 'string' && key.includes('BEGIN')
            ? await subtle.importKey('spki', pemToDer(key), {name: 'Ed25519'}, false, ['verify'])
            : await subtle.importKey('raw', hexToBytes(key), {name: 'Ed25519'}, false, ['verify']);
    } catch (e) {
        if (e && (e.name === 'NotSupportedError' || /not supported|unrecognized/i.test(e.message)))
            return {supported: false, reason: `this browser's WebCrypto has no Ed25519 (${e.message})`};
        return {supported: true, ok: false, reason: `the public key cannot be read: ${e.message}`};
    }
    const ok = await subtle.verify({name: 'Ed25519'}, k, signature, message);
    return {supported: true, ok, reason: ok ? '' : 'the signature does not match the tree head'};
}

/* A signature as base64 or hex, whichever the server sent. */
export function signatureBytes(sig) {
    if (/^[0-9a-fA-F]{128}$/.test(sig)) return hexToBytes(sig);
    return base64ToBytes(sig);
}

/*
 * The whole check of one entry: recompute its leaf hash from its canonical bytes, walk the
 * inclusion proof to the signed root, verify the tree head's signature. Each step is returned
 * (name, ok, detail) so the page can show what was checked; `ok` is true only if all passed.
 * Input: {entry, index, proof: [hex], treeHead: {size, root, time, signature}, publicKey}.
 */
export async function verifyEntry({entry, index, proof, treeHead, publicKey}) {
    const steps = [];
    const leaf = await leafHash(utf8(canonicalize(entry)));
    steps.push({name: 'leaf hash', ok: true,
        detail: `SHA-256(0x00 ‖ canonical entry ${index}) = ${bytesToHex(leaf).slice(0, 16)}…`});
    const inc = await verifyInclusion(index, treeHead.size, leaf, proof.map(hexToBytes),
        hexToBytes(treeHead.root));
    steps.push({name: 'inclusion proof', ok: inc.ok,
        detail: inc.ok ? `${proof.length} hashes lead to the root ${treeHead.root.slice(0, 16)}… of the tree of ${treeHead.size} entries`
            : inc.reason});
    const head = {size: treeHead.size, root: treeHead.root, time: treeHead.time};
    const sig = await verifyEd25519(publicKey, utf8(canonicalize(head)), signatureBytes(treeHead.signature));
    if (!sig.supported)
        steps.push({name: 'tree head signature', ok: null, detail: sig.reason});
    else
        steps.push({name: 'tree head signature', ok: sig.ok,
            detail: sig.ok ? `Ed25519 signature over ${canonicalize(head)} verifies` : sig.reason});
    return {ok: steps.every((st) => st.ok === true), steps};
}
