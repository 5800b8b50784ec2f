#!/usr/bin/env python3
"""PyTorch baselines for lookahead4j's CUDA step (issue 3), on the GPU machine.

Measures, with CUDA events, the time per optimizer step of
  fused    torch.optim.Adam(fused=True) + a Lookahead sync every k steps done with torch._foreach
           ops (slow.lerp_(params, alpha); params.copy_(slow)): the fastest PyTorch way we know;
  official torch.optim.Adam (PyTorch's default implementation for CUDA tensors) wrapped in the official
           Lookahead code's per-parameter loop (michaelrzhang/lookahead, lookahead_pytorch.py:
           p.mul_(alpha).add_(cached, alpha=1-alpha); cached.copy_(p), one tensor at a time);
  copy     a device-to-device copy of the same number of floats (the bandwidth ceiling),
on three layouts: one flat tensor of --params floats (the arena), ResNet-50's 161 parameter tensors and
GPT-2 small's 148 (shapes only, from the architectures; no weights are downloaded, torchvision is not
needed and, when installed, only cross-checks the ResNet-50 shapes).

Bytes per step count each float read or written once: Adam reads p, g, m, v and writes p, m, v
(28 bytes/param); a sync reads p and slow and writes both (16 bytes/param), once every k steps.
GB/s = bytes / time; "copy" counts read + write (8 bytes/param).

  python3 bench/torch_gpu.py [--params 268435456] [--steps 50] [--k 5] [--alpha 0.5] [--layouts flat,resnet50,gpt2]
  python3 bench/torch_gpu.py --check-layouts      (the layouts' sizes; needs neither a GPU nor torch)

Prints one line per measurement, "RESULT layout variant params=N tensors=T ms_per_step=.. GB/s=.. params/s=..".
"""
import argparse
import sys
import time

try:
    import torch
except ImportError:  # --check-layouts needs no torch
    torch = None


def resnet50_architecture_shapes():
    """ResNet-50's parameter shapes in torchvision's order, from the architecture (He et al. 2015, v1.5:
    bottlenecks [3, 4, 6, 3], widths 64..512, expansion 4, a 1x1 downsample in each stage's first
    block, batch-norm weight and bias after every convolution, a 1000-way classifier)."""
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    inplanes = 64
    for planes, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)):
        for b in range(blocks):
            shapes += [(planes, inplanes, 1, 1), (planes,), (planes,),
                       (planes, planes, 3, 3), (planes,), (planes,),
                       (planes * 4, planes, 1, 1), (planes * 4,), (planes * 4,)]
            if b == 0:
                shapes += [(planes * 4, inplanes, 1, 1), (planes * 4,), (planes * 4,)]
            inplanes = planes * 4
    shapes += [(1000, 2048), (1000,)]
    return shapes  # 161 tensors, 25,557,032 parameters


def resnet50_shapes():
    """torchvision's ResNet-50 shapes when torchvision is installed (checked against the architecture),
    else the architecture's."""
    shapes = resnet50_architecture_shapes()
    try:
        import torchvision
    except ImportError:
        return shapes
    tv = [tuple(p.shape) for p in torchvision.models.resnet50(weights=None).parameters()]
    if tv != shapes:
        sys.exit("torchvision's ResNet-50 shapes differ from resnet50_architecture_shapes()")
    return shapes


def gpt2_small_shapes():
    d, v, ctx, layers, ff = 768, 50257, 1024, 12, 3072
    shapes = [(v, d), (ctx, d)]
    for _ in range(layers):
        shapes += [(d,), (d,), (d, 3 * d), (3 * d,), (d, d), (d,), (d,), (d,), (d, ff), (ff,), (ff, d), (d,)]
    shapes += [(d,), (d,)]
    return shapes  # 148 tensors, 124,439,808 parameters (wte tied with the LM head)


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def check_layouts():
    """--check-layouts: the layouts' tensor and parameter counts (no torch needed; CI runs it)."""
    for name, shapes in (("resnet50", resnet50_architecture_shapes()), ("gpt2", gpt2_small_shapes())):
        print(f"{name} tensors={len(shapes)} params={sum(numel(s) for s in shapes)}")


def make(shapes, dev):
    g = torch.Generator(device=dev).manual_seed(0)
    params = [torch.randn(s, device=dev, generator=g).requires_grad_(True) for s in shapes]
    for p in params:
        p.grad = torch.randn(p.shape, device=dev, generator=g)
    return params


def timed(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    t0 = time.perf_counter()
    start.record()
    for _ in range(steps):
        fn()
    end.record()
    host = (time.perf_counter() - t0) / steps
    torch.cuda.synchronize()
    return start.elapsed_time(end) / steps, host


class ForeachLookahead:
    """Adam(fused=True) + Lookahead sync with foreach ops every k steps."""

    def __init__(self, params, k, alpha):
        self.params, self.k, self.alpha, self.n = params, k, alpha, 0
        self.opt = torch.optim.Adam(params, lr=1e-3, fused=True)
        self.slow = [p.detach().clone() for p in params]
        self.data = [p.detach() for p in params]

    def step(self):
        self.opt.step()
        self.n += 1
        if self.n % self.k == 0:
            if hasattr(torch, "_foreach_lerp_"):
                torch._foreach_lerp_(self.slow, self.data, self.alpha)
            else:  # older PyTorch: the same update in two foreach ops
                torch._foreach_mul_(self.slow, 1.0 - self.alpha)
                torch._foreach_add_(self.slow, self.data, alpha=self.alpha)
            if hasattr(torch, "_foreach_copy_"):
                torch._foreach_copy_(self.data, self.slow)
            else:
                for d, s in zip(self.data, self.slow):
                    d.copy_(s)


class OfficialLookahead:
    """The per-parameter loop of michaelrzhang/lookahead (pullback 'none') around torch's default Adam."""

    def __init__(self, params, k, alpha):
        self.opt = torch.optim.Adam(params, lr=1e-3)
        self.k, self.alpha, self.step_count = k, alpha, 0
        self.state = {p: {"cached_params": p.detach().clone()} for p in params}

    def step(self):
        self.opt.step()
        self.step_count += 1
        if self.step_count >= self.k:
            self.step_count = 0
            with torch.no_grad():
                for group in self.opt.param_groups:
                    for p in group["params"]:
                        st = self.state[p]
                        p.data.mul_(self.alpha).add_(st["cached_params"], alpha=1.0 - self.alpha)
                        st["cached_params"].copy_(p.data)


def report(layout, variant, n, tensors, ms, host_ms, bytes_per_step):
    gbs = bytes_per_step / (ms * 1e-3) / 1e9
    print(f"RESULT {layout} {variant} params={n} tensors={tensors} ms_per_step={ms:.4f} GB/s={gbs:.1f} "
          f"params/s={n / (ms * 1e-3):.3e} host_ms_per_step={host_ms:.4f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", type=int, default=256 * 1024 * 1024)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--layouts", default="flat,resnet50,gpt2")
    ap.add_argument("--check-layouts", action="store_true", help="print the layouts' sizes and exit (no GPU, no torch)")
    a = ap.parse_args()
    if a.check_layouts:
        check_layouts()
        return
    if torch is None:
        sys.exit("PyTorch is not installed")
    if not torch.cuda.is_available():
        sys.exit("no CUDA device visible to PyTorch")
    dev = torch.device("cuda")
    print(f"# torch {torch.__version__}, {torch.cuda.get_device_name(0)}, k={a.k}, alpha={a.alpha}, "
          f"steps={a.steps} (+{a.warmup} warm-up)", flush=True)
    layouts = {"flat": lambda: [(a.params,)], "resnet50": resnet50_shapes, "gpt2": gpt2_small_shapes}
    for name in a.layouts.split(","):
        shapes = layouts[name]()
        if shapes is None:
            continue
        n = sum(numel(s) for s in shapes)
        bytes_per_step = 28 * 4 * n / 4 + 16 * n / a.k  # 28 B/param Adam + 16 B/param every k steps
        src = torch.empty(n, device=dev)
        dst = torch.empty_like(src)
        ms, host = timed(lambda: dst.copy_(src), a.steps, a.warmup)
        report(name, "copy", n, 1, ms, host, 8 * n)
        del src, dst
        for variant, cls in (("fused_adam+foreach_lookahead", ForeachLookahead), ("official_lookahead(adam)", OfficialLookahead)):
            params = make(shapes, dev)
            la = cls(params, a.k, a.alpha)
            ms, host = timed(la.step, a.steps, a.warmup)
            report(name, variant, n, len(shapes), ms, host, bytes_per_step)
            del la, params
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
