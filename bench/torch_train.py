#!/usr/bin/env python3
"""The `lookahead4j train` comparison, written in PyTorch, for a side-by-side timing.

Same job as `java -jar target/lookahead4j-*-cli.jar train`: an MLP 784-256-128-10 (ReLU, softmax
cross-entropy, nn.Linear's default initialisation), Fashion-MNIST scaled to [0, 1], mini-batches of
128 shuffled per epoch, 5 epochs, trained once with Adam (lr 1e-3) and once with Lookahead(Adam,
k=5, alpha=0.5); after each epoch the mean training loss of the epoch's batches and the test loss
and accuracy (the Lookahead run is evaluated on its slow weights, as the Java command does).

Data is held in memory as tensors and batches are cut with index_select: no DataLoader, so the
timing measures the model and optimizer, not Python data plumbing.

Usage (Debian's python3-torch):
    /usr/bin/python3 bench/torch_train.py [--data DIR] [--epochs 5] [--threads 2] [--json out.json]
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path, magic, dims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got, = struct.unpack(">I", data[:4])
    if got != magic:
        sys.exit(f"{path}: magic number {got}, expected {magic}")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if arr.size != int(np.prod(shape)):
        sys.exit(f"{path}: truncated ({arr.size} bytes of data, header says {shape})")
    return arr.reshape(shape)


def load(data_dir, prefix):
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), 2051, 3)
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), 2049, 1)
    x = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(y.astype(np.int64))


class Lookahead:
    """Lookahead around any torch optimizer: phi starts as theta_0; every k steps phi += alpha*(theta-phi), theta = phi."""

    def __init__(self, inner, k=5, alpha=0.5):
        self.inner, self.k, self.alpha, self.count = inner, k, alpha, 0
        self.slow = [[p.detach().clone() for p in g["params"]] for g in inner.param_groups]

    def zero_grad(self, set_to_none=True):
        self.inner.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self):
        self.inner.step()
        self.count += 1
        if self.count % self.k == 0:
            for g, slows in zip(self.inner.param_groups, self.slow):
                for p, s in zip(g["params"], slows):
                    s.add_(p - s, alpha=self.alpha)
                    p.copy_(s)

    @torch.no_grad()
    def swap(self):
        """Exchanges fast and slow weights (call twice to restore)."""
        for g, slows in zip(self.inner.param_groups, self.slow):
            for p, s in zip(g["params"], slows):
                tmp = p.detach().clone()
                p.copy_(s)
                s.copy_(tmp)


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    loss, correct = 0.0, 0
    for i in range(0, len(x), batch):
        out = model(x[i:i + batch])
        loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
        correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), correct / len(x)


def run(name, lookahead, args, data):
    xtr, ytr, xte, yte = data
    torch.manual_seed(args.seed)
    model = mlp([784] + args.hidden + [10])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    if lookahead:
        opt = Lookahead(opt, k=args.k, alpha=args.alpha)
    gen = torch.Generator().manual_seed(args.seed)
    rows = []
    t_run = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=gen)
        total, batches = 0.0, 0
        for i in range(0, len(xtr), args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = xtr.index_select(0, idx), ytr.index_select(0, idx)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        if lookahead:
            opt.swap()
        test_loss, acc = evaluate(model, xte, yte)
        if lookahead:
            opt.swap()
        sec = time.perf_counter() - t0
        rows.append(dict(epoch=epoch, train_loss=total / batches, test_loss=test_loss, test_acc=acc, seconds=sec))
        print(f"{name:<22} epoch {epoch}  train loss {total / batches:.4f}  test loss {test_loss:.4f}  "
              f"test acc {100 * acc:.2f}%  {sec:.1f} s  {len(xtr) / sec:.0f} samples/s", flush=True)
    return dict(name=name, epochs=rows, seconds=time.perf_counter() - t_run)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write the per-epoch figures here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = (*load(args.data, "train"), *load(args.data, "t10k"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{len(data[0])} train / {len(data[2])} test samples", flush=True)
    t0 = time.perf_counter()
    runs = [run("adam", False, args, data),
            run(f"lookahead(adam,k={args.k},a={args.alpha})", True, args, data)]
    total = time.perf_counter() - t0
    print(f"total (both runs, training + evaluation): {total:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(torch=torch.__version__, threads=torch.get_num_threads(), runs=runs, total_seconds=total), f, indent=1)


if __name__ == "__main__":
    main()
