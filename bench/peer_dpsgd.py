#!/usr/bin/python3
"""peer_dpsgd.py - the PyTorch peer of bench_dpsgd: one DP-SGD epoch of the same MLP.

Usage: peer_dpsgd.py DATA.bin ROWS WIDTH BATCH REPEATS
DATA.bin holds ROWS x WIDTH float64 features then ROWS float64 labels (written by
bench_dpsgd from the encoded Adult training set). The model is bench_dpsgd's:
WIDTH -> 64 -> 32 -> 1, ReLU, sigmoid log loss, float64. Each step draws a Poisson
batch (rate BATCH / ROWS), forms every example's gradient by hand the way Opacus's
grad-sample hooks do (einsum of activations and backpropagated deltas: a
materialised per-sample gradient per layer), clips it to norm 1 over all
parameters, adds N(0, sigma^2) noise to the sum, divides by the expected batch
and takes an SGD step. One thread (torch.set_num_threads(1)), like the C side's
BLAS. Prints "epoch_seconds S" (the fastest of REPEATS epochs) or "SKIP reason".
"""
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as exc:  # Debian's python3-torch missing
    print(f"SKIP PyTorch peer: {exc}")
    sys.exit(0)


def main():
    path, rows, width, batch, repeats = sys.argv[1], *map(int, sys.argv[2:6])
    raw = np.fromfile(path, dtype=np.float64)
    X = torch.from_numpy(raw[: rows * width].reshape(rows, width).copy())
    y = torch.from_numpy(raw[rows * width : rows * width + rows].copy())
    torch.set_num_threads(1)
    torch.manual_seed(1)
    sizes = [width, 64, 32, 1]
    Ws = [torch.randn(o, i, dtype=torch.float64) * (2.0 / i) ** 0.5 for i, o in zip(sizes, sizes[1:])]
    bs = [torch.zeros(o, dtype=torch.float64) for o in sizes[1:]]
    q, C, sigma, lr = batch / rows, 1.0, 1.0, 0.1
    steps = int(1 / q)

    def step():
        idx = torch.nonzero(torch.rand(rows) < q).squeeze(1)
        a = [X[idx]]
        for k in range(3):  # forward, keeping activations
            z = a[-1] @ Ws[k].T + bs[k]
            a.append(torch.relu(z) if k < 2 else z)
        d = torch.sigmoid(a[3].squeeze(1)) - y[idx]  # d loss / d z of the head
        d = d.unsqueeze(1)
        gw, gb = [None] * 3, [None] * 3
        for k in (2, 1, 0):  # backward: per-example gradients, materialised
            gw[k] = torch.einsum("bo,bi->boi", d, a[k])
            gb[k] = d
            if k > 0:
                d = (d @ Ws[k]) * (a[k] > 0)
        norms = torch.sqrt(sum((g.flatten(1) ** 2).sum(1) for g in gw + gb))
        f = torch.clamp(C / (norms + 1e-6), max=1.0)
        for k in range(3):
            gW = torch.einsum("b,boi->oi", f, gw[k]) + torch.normal(0.0, sigma * C, Ws[k].shape, dtype=torch.float64)
            gB = torch.einsum("b,bo->o", f, gb[k]) + torch.normal(0.0, sigma * C, bs[k].shape, dtype=torch.float64)
            Ws[k] -= lr * gW / (q * rows)
            bs[k] -= lr * gB / (q * rows)

    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, time.perf_counter() - t0)
    print(f"epoch_seconds {best:.6f}")


if __name__ == "__main__":
    main()
