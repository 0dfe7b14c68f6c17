"""peer_train.py - the peers of bench_train: scikit-learn's LogisticRegression and a PyTorch MLP.

Run with /usr/bin/python3 (Debian's python3-sklearn, python3-pandas, python3-torch). Prints one
JSON object on stdout. A missing peer is reported as {"<peer>": {"skipped": "<why>"}}.

Times are CPU seconds of the process (time.process_time), as bench_train measures its own.
Preprocessing mirrors modelgov's pipeline and is not timed: numeric columns imputed with the
training mean and standardised; categorical columns imputed with the most frequent level and
one-hot encoded (unknown levels -> all zeros). Missing values are the empty field, "?" and "NA".
"""
import argparse
import json
import sys
import time


def load(args):
    import numpy as np
    import pandas as pd

    na = ["", "?", "NA", "NaN", "nan", "null"]
    tr = pd.read_csv(args.train, na_values=na, keep_default_na=False)
    te = pd.read_csv(args.test, na_values=na, keep_default_na=False)
    ytr = (tr.pop(args.label).astype(str) == args.positive).to_numpy(dtype=np.float64)
    yte = (te.pop(args.label).astype(str) == args.positive).to_numpy(dtype=np.float64)
    parts_tr, parts_te = [], []
    for col in tr.columns:
        if pd.api.types.is_numeric_dtype(tr[col]):
            mean = tr[col].mean()
            std = tr[col].std(ddof=0) or 1.0
            parts_tr.append(((tr[col].fillna(mean) - mean) / std).to_numpy()[:, None])
            parts_te.append(((te[col].fillna(mean) - mean) / std).to_numpy()[:, None])
        else:
            mode = tr[col].mode().iloc[0]
            levels = sorted(tr[col].fillna(mode).astype(str).unique())
            cat = pd.CategoricalDtype(levels)
            for frame, out in ((tr, parts_tr), (te, parts_te)):
                codes = frame[col].fillna(mode).astype(str).astype(cat)
                out.append(pd.get_dummies(codes).to_numpy(dtype=np.float64))
    return (np.hstack(parts_tr), ytr, np.hstack(parts_te), yte)


def sklearn_peer(Xtr, ytr, Xte, yte):
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
    except ImportError as e:
        return {"skipped": "scikit-learn not installed (%s)" % e}
    import warnings

    clf = LogisticRegression()  # the default fit: lbfgs, C=1, max_iter=100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.process_time()
        clf.fit(Xtr, ytr)
        secs = time.process_time() - t0
    p = clf.predict_proba(Xte)[:, 1]
    return {"fit_seconds": secs, "accuracy": float(((p > 0.5) == (yte > 0.5)).mean()),
            "auc": float(roc_auc_score(yte, p)), "iterations": int(clf.n_iter_[0])}


def torch_peer(Xtr, ytr, Xte, yte, hidden, batch, epochs, threads, seed):
    try:
        import torch
    except ImportError as e:
        return {"skipped": "PyTorch not installed (%s)" % e}
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    X = torch.tensor(Xtr, dtype=torch.float32)
    y = torch.tensor(ytr, dtype=torch.float32)[:, None]
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    layers.append(torch.nn.Linear(width, 1))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    lossf = torch.nn.BCEWithLogitsLoss()
    times = []
    for _ in range(epochs):
        t0 = time.process_time()
        perm = torch.randperm(X.shape[0])
        for i in range(0, X.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = lossf(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.process_time() - t0)
    with torch.no_grad():
        p = torch.sigmoid(model(torch.tensor(Xte, dtype=torch.float32)))[:, 0].numpy()
    return {"epoch_seconds": sum(times) / len(times), "epochs": epochs,
            "accuracy": float(((p > 0.5) == (yte > 0.5)).mean()), "dtype": "float32",
            "threads": torch.get_num_threads()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--positive", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", default="64,32")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    try:
        Xtr, ytr, Xte, yte = load(args)
    except ImportError as e:
        json.dump({"sklearn": {"skipped": "pandas/numpy missing (%s)" % e},
                   "torch": {"skipped": "pandas/numpy missing (%s)" % e}}, sys.stdout)
        return
    hidden = [int(h) for h in args.hidden.split(",")]
    out = {"width": int(Xtr.shape[1]), "rows": int(Xtr.shape[0]),
           "sklearn": sklearn_peer(Xtr, ytr, Xte, yte),
           "torch": torch_peer(Xtr, ytr, Xte, yte, hidden, args.batch, args.epochs,
                               args.threads, args.seed)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
