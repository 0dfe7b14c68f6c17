"""peer_explain.py - what shap's KernelExplainer must at least pay per row on the same MLP.

Run with /usr/bin/python3 (Debian's numpy). shap itself is not a Debian package, so this
times the part of KernelExplainer.explain that depends on the model, done the way shap does
it (numpy, vectorised): tile the background once per coalition (2048 x 100 synthetic rows),
put the explained row's values on each coalition's columns, encode them with the model's own
pipeline (standardise, one-hot), run the MLP read from the .mgm, and average per coalition.
shap's sampling and weighted least squares come on top, so the figure is a lower bound on
shap's time per row. Prints one JSON object: {"sec_per_row": ..., "rows": ..., ...}.
"""
import argparse
import csv
import json
import time


def load_raw(path, inputs, limit):
    """Raw rows like modelgov's: numeric value (NaN missing), categorical level index."""
    import numpy as np

    missing = {"", "?", "NA", "NaN", "nan", "null"}
    rows = []
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        for rec in rd:
            row = []
            for spec in inputs:
                v = rec[spec["name"]]
                if spec["type"] == "numeric":
                    row.append(float("nan") if v in missing else float(v))
                else:
                    levels = spec["levels"]
                    row.append(float("nan") if v in missing else
                               float(levels.index(v)) if v in levels else -1.0)
            rows.append(row)
            if len(rows) >= limit:
                break
    return np.array(rows)


def encoder(inputs):
    """The model's pipeline on raw rows: (x - mean) / std, one-hot over the training levels."""
    import numpy as np

    def encode(raw):
        cols = []
        for i, spec in enumerate(inputs):
            v = raw[:, i]
            if spec["type"] == "numeric":
                v = np.where(np.isnan(v), spec["mean"], v)
                cols.append(((v - spec["mean"]) / (spec["std"] or 1.0))[:, None])
            else:
                k = len(spec["levels"])
                idx = np.where(np.isnan(v), spec["levels"].index(spec["impute"]), v).astype(int)
                onehot = np.zeros((raw.shape[0], k + 1))
                onehot[np.arange(raw.shape[0]), np.where(idx < 0, k, idx)] = 1.0
                cols.append(onehot[:, :k])
        return np.hstack(cols)

    return encode


def network(net):
    import numpy as np

    layers = [(np.array(l["weights"]), np.array(l["bias"])) for l in net["layers"]]

    def forward(X):
        a = X
        for i, (W, b) in enumerate(layers):
            a = a @ W.T + b
            if i + 1 < len(layers):
                a = np.maximum(a, 0.0) if net["activation"] == "relu" else np.tanh(a)
        return 1.0 / (1.0 + np.exp(-a[:, 0]))

    return forward


def main():
    import numpy as np

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=5)
    ap.add_argument("--background", type=int, default=100)
    ap.add_argument("--nsamples", type=int, default=2048)
    a = ap.parse_args()

    with open(a.model) as f:
        m = json.load(f)
    inputs = m["pipeline"]["inputs"]
    raw = load_raw(a.data, inputs, 5000)
    rng = np.random.default_rng(1)
    bg = raw[rng.choice(raw.shape[0], a.background, replace=False)]
    encode, forward = encoder(inputs), network(m["network"])
    M = len(inputs)

    t0 = time.process_time()
    for r in range(a.rows):
        x = raw[r]
        masks = rng.random((a.nsamples, M)) < 0.5
        synth = np.tile(bg, (a.nsamples, 1))
        rep = np.repeat(masks, a.background, axis=0)
        synth[rep] = np.broadcast_to(x, synth.shape)[rep]
        y = forward(encode(synth))
        ey = y.reshape(a.nsamples, a.background).mean(axis=1)
        assert np.isfinite(ey).all()
    dt = time.process_time() - t0
    print(json.dumps({"sec_per_row": dt / a.rows, "rows": a.rows,
                      "evaluations_per_row": a.nsamples * a.background,
                      "what": "numpy: tile + encode + MLP of 2048 x 100 synthetic rows"}))


if __name__ == "__main__":
    main()
