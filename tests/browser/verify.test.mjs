// verify.test.mjs - the page's in-browser verifier (web/ui/verify.js) on the RFC 6962 vectors of
// ../shared/reference/merkle, tampered proofs, RFC 8785 canonical bytes and Ed25519 signatures.
// Runs under node's test runner (same WebCrypto API as the browser). Skips without ../shared.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {generateKeyPairSync, sign} from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const source = process.env.MG_SOURCE_DIR || join(here, '..', '..');
const shared = process.env.MG_SHARED_DIR || join(source, '..', 'shared');
const vectorsPath = join(shared, 'reference', 'merkle', 'rfc6962_vectors.json');

// verify.js is a browser module with no imports: load it as one.
const code = readFileSync(join(source, 'web', 'ui', 'verify.js'));
const v = await import(`data:text/javascript;base64,${code.toString('base64')}`);

test('leaf and root hashes match the RFC 6962 reference roots', {skip: !existsSync(vectorsPath) && 'SKIP: ../shared absent'}, async () => {
    const ref = JSON.parse(readFileSync(vectorsPath, 'utf8'));
    const leaves = await Promise.all(ref.leaves_hex.map((x) => v.leafHash(v.hexToBytes(x))));
    // MTH of RFC 6962 §2.1, recursively, from the page's node hash: an independent path to the root.
    const mth = async (a) => {
        if (a.length === 1) return a[0];
        let k = 1;
        while (k * 2 < a.length) k *= 2;
        return v.nodeHash(await mth(a.slice(0, k)), await mth(a.slice(k)));
    };
    for (const [size, root] of Object.entries(ref.roots_by_size)) {
        if (Number(size) === 0) continue;
        assert.equal(v.bytesToHex(await mth(leaves.slice(0, Number(size)))), root, `size ${size}`);
    }
});

test('every reference inclusion proof verifies; each altered one fails', {skip: !existsSync(vectorsPath) && 'SKIP: ../shared absent'}, async () => {
    const ref = JSON.parse(readFileSync(vectorsPath, 'utf8'));
    assert.ok(ref.inclusion_proofs.length > 0);
    for (const p of ref.inclusion_proofs) {
        const leaf = await v.leafHash(v.hexToBytes(ref.leaves_hex[p.leaf_index]));
        const root = v.hexToBytes(ref.roots_by_size[String(p.tree_size)]);
        const proof = p.proof.map(v.hexToBytes);
        const ok = await v.verifyInclusion(p.leaf_index, p.tree_size, leaf, proof, root);
        assert.equal(ok.ok, true, `index ${p.leaf_index} of ${p.tree_size}: ${ok.reason}`);
        if (proof.length) {
            const bad = proof.map((x) => x.slice());
            bad[0][0] ^= 1;
            assert.equal((await v.verifyInclusion(p.leaf_index, p.tree_size, leaf, bad, root)).ok, false);
            assert.match((await v.verifyInclusion(p.leaf_index, p.tree_size, leaf, proof.slice(1), root)).reason, /fewer|root/);
        }
        assert.equal((await v.verifyInclusion(p.leaf_index, p.tree_size, leaf, [...proof, root], root)).ok, false);
        assert.match((await v.verifyInclusion(p.tree_size, p.tree_size, leaf, proof, root)).reason, /not below/);
    }
});

test('canonical JSON follows RFC 8785', () => {
    // RFC 8785 §3.2.3: members sorted by UTF-16 code units; numbers as ECMAScript writes them.
    assert.equal(v.canonicalize({b: 1, a: [true, null, 'x'], '\u20ac': 1, '\r': 2, '1': 3}),
        '{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"€":1}');
    assert.equal(v.canonicalize({n: 1e21, m: 0.000001, z: -0, f: 4.5}), '{"f":4.5,"m":0.000001,"n":1e+21,"z":0}');
    assert.throws(() => v.canonicalize({x: NaN}));
});

test('a whole entry check: leaf, proof to a signed tree head, Ed25519', async () => {
    // A two-entry log built by hand: root = node(leaf(e0), leaf(e1)); e1's proof is [leaf(e0)].
    const e0 = {index: 0, action: 'token.created', actor: 'admin', subject: {name: 'alice'}, prev: '', time: '2024-01-01T00:00:00Z'};
    const e1 = {index: 1, action: 'dataset.registered', actor: 'alice', subject: {sha256: 'ab'}, prev: 'x', time: '2024-01-01T00:00:01Z'};
    const enc = (e) => new TextEncoder().encode(v.canonicalize(e));
    const l0 = await v.leafHash(enc(e0));
    const l1 = await v.leafHash(enc(e1));
    const root = v.bytesToHex(await v.nodeHash(l0, l1));
    const {publicKey, privateKey} = generateKeyPairSync('ed25519');
    const pem = publicKey.export({type: 'spki', format: 'pem'});
    const head = {size: 2, root, time: '2024-01-01T00:00:02Z'};
    const sig = sign(null, Buffer.from(v.canonicalize(head)), privateKey).toString('base64');
    const good = await v.verifyEntry({entry: e1, index: 1, proof: [v.bytesToHex(l0)],
        treeHead: {...head, signature: sig}, publicKey: pem});
    assert.equal(good.ok, true, JSON.stringify(good.steps));
    assert.equal(good.steps.length, 3);
    const altered = await v.verifyEntry({entry: {...e1, actor: 'mallory'}, index: 1, proof: [v.bytesToHex(l0)],
        treeHead: {...head, signature: sig}, publicKey: pem});
    assert.equal(altered.ok, false);
    assert.equal(altered.steps[1].ok, false);
    const forged = await v.verifyEntry({entry: e1, index: 1, proof: [v.bytesToHex(l0)],
        treeHead: {...head, time: '2030-01-01T00:00:00Z', signature: sig}, publicKey: pem});
    assert.equal(forged.steps[1].ok, true);
    assert.equal(forged.steps[2].ok, false);
    assert.equal(forged.ok, false);
});
