#!/usr/bin/env python3
"""PyTorch CPU baseline for `lookahead4j bench`: Adam (foreach) + a Lookahead sync loop.

Same work as `bench --rule adam --lookahead-k 5`: an arena of N float32 parameters (optionally split
into T tensors), Adam with PyTorch defaults and foreach=True, and every k steps the Lookahead sync
phi += alpha*(theta - phi); theta = phi with torch._foreach ops. Prints ms/step, parameters/s and
effective GB/s counted exactly as the Java bench counts them (Adam: read p,g,m,v + write p,m,v =
28 bytes/param, plus 8/k for the slow weights).

Run with Debian's python3-torch (`/usr/bin/python3 bench/torch_cpu.py --params 64M --threads 2`).
"""
import argparse
import time

import torch


def count(s):
    s = s.strip().upper()
    mul = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:], 1)
    return int(s[:-1] if mul > 1 else s) * mul


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="64M")
    ap.add_argument("--tensors", type=int, default=1)
    ap.add_argument("-k", "--lookahead-k", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    n = count(a.params)
    per = n // a.tensors
    sizes = [per] * (a.tensors - 1) + [n - per * (a.tensors - 1)]
    gen = torch.Generator().manual_seed(42)
    params = [torch.nn.Parameter(torch.rand(s, generator=gen) - 0.5) for s in sizes]
    for p in params:
        p.grad = (torch.rand(p.shape, generator=gen) - 0.5) * 1e-2
    opt = torch.optim.Adam(params, lr=1e-3, foreach=True)
    slow = [p.detach().clone() for p in params] if a.lookahead_k > 0 else None
    count_steps = [0]

    def step():
        opt.step()
        count_steps[0] += 1
        if slow is not None and count_steps[0] % a.lookahead_k == 0:
            with torch.no_grad():
                fast = [p.detach() for p in params]
                diff = torch._foreach_sub(fast, slow)
                torch._foreach_add_(slow, diff, alpha=a.alpha)
                for p, s in zip(fast, slow):
                    p.copy_(s)

    for _ in range(a.warmup):
        step()
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        best = min(best, (time.perf_counter() - t0) / a.steps)
    bpp = 28.0 + (8.0 / a.lookahead_k if a.lookahead_k > 0 else 0.0)
    print(f"torch    {torch.__version__}, {torch.get_num_threads()} threads, Adam(foreach=True)"
          + (f" + Lookahead(k={a.lookahead_k}, alpha={a.alpha}) foreach sync" if slow else "")
          + f", {n} parameters in {a.tensors} tensor(s)")
    print(f"step     {best * 1e3:10.3f} ms/step  {n / best / 1e9:8.3f} G params/s  {n * bpp / best / 1e9:8.2f} GB/s effective")


if __name__ == "__main__":
    main()
