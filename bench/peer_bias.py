"""peer_bias.py - the pre-training bias report written the straightforward pandas way.

The peer of bench_bias.c: read the whole CSV with pandas, then compute CI, DPL,
KL, JS, LP, TVD, KS and CDDL as smclarify defines them (facet d = the facet's
rows, binary label distributions, natural log, LP with p = 2, CDDL weighted by
group size). Prints the metrics as one JSON object so the benchmark can check
that both sides computed the same numbers.

usage: /usr/bin/python3 peer_bias.py DATA.csv LABEL POSITIVE FACET_COL FACET_VALUE GROUP
"""
import json
import sys

import numpy as np
import pandas as pd


def pdfs(y, facet):
    """Aligned label distributions of facet a and facet d (False, True)."""
    pa = np.array([(~y[~facet]).mean(), y[~facet].mean()])
    pd_ = np.array([(~y[facet]).mean(), y[facet].mean()])
    keep = (pa > 0) & (pd_ > 0)
    return pa[keep], pd_[keep]


def main():
    path, label, positive, facet_col, facet_value, group = sys.argv[1:7]
    df = pd.read_csv(path)
    facet = df[facet_col] == facet_value
    y = df[label] == positive
    na, nd = int((~facet).sum()), int(facet.sum())
    pa, pd_ = pdfs(y, facet)
    p = 0.5 * (pa + pd_)
    m = {
        "CI": (na - nd) / (na + nd),
        "DPL": y[~facet].mean() - y[facet].mean(),
        "KL": float(np.sum(pa * np.log(pa / pd_))),
        "JS": float(0.5 * (np.sum(pa * np.log(pa / p)) + np.sum(pd_ * np.log(pd_ / p)))),
        "LP": float(np.linalg.norm(pa - pd_, 2)),
        "TVD": float(0.5 * np.linalg.norm(pa - pd_, 1)),
        "KS": float(np.linalg.norm(pa - pd_, np.inf)),
    }
    groups = df[group]
    num = 0.0
    for g in np.unique(groups):
        in_g = groups == g
        pos, neg = in_g & y, in_g & ~y
        a = (pos & facet).sum() / pos.sum() if pos.sum() else 0.0
        d = (neg & facet).sum() / neg.sum() if neg.sum() else 0.0
        num += in_g.sum() * (d - a)
    m["CDDL"] = float(num / len(df))
    print(json.dumps({"n": len(df), "metrics": m}))


if __name__ == "__main__":
    main()
