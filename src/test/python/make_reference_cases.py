#!/usr/bin/python3
"""Generate extra golden Lookahead reference cases with the real PyTorch 1.13 (CPU, float32).

    /usr/bin/python3 src/test/python/make_reference_cases.py OUTDIR [--only SUBSTRING] [--check-nadam]

Needs PyTorch 1.13 and numpy (on the dev machine: Debian's python3-torch, hence /usr/bin/python3;
the default pyenv `python3` has no torch).  Writes one JSON file per case into OUTDIR, in the case
format of shared/reference/README.md §4 (the same format as src/test/resources/reference/p*.json).
Deterministic: rerunning gives byte-identical files.

Semantics (README §1–§3):
  * Inner optimizers are torch.optim's own, foreach=False, EXCEPT NAdam.  NAdam follows the documented
    formula of README §2 (= torch 1.13 foreach=True path; torch 1.13's foreach=False path has the
    mu-product bug fixed by pytorch#92699).  It is implemented by hand below (`NAdamDoc`) with torch
    float32 tensor ops in the order of README §2; `--check-nadam` verifies that it is bit-identical to
    torch.optim.NAdam(foreach=True) on every NAdam case (it is, on torch 1.13.0a0 CPU).
  * Lookahead wrapper exactly per README §1: phi starts as a copy of theta0; after inner steps
    k, 2k, ...: phi.add_(theta - phi, alpha=alpha); theta.copy_(phi); then per pullback mode
    "reset": m.zero_();  "pullback": m.mul_(alpha).add_(c, alpha=1-alpha); c = copy of m (own buffer).
    m = momentum_buffer (SGD, RMSprop) or exp_avg (Adam, AdamW, RAdam, NAdam); no-op where absent
    (Adagrad, SGD momentum 0, RMSprop momentum 0).  Inner state is never touched otherwise.
  * Gradients per README §4: N(0,1)*gscale, ~2 % large (x10^U(1.5,3)), ~2 % tiny
    (±gscale*10^U(-12,-6)), ~5 % exact zeros, element size//2 always zero for size >= 7.
    init = N(0,1).  Seeds: numpy default_rng([0x45585452 ("EXTR"), i]), i = 1-based case index.
  * expect.after_step = {1, k-1, k, k+1, 2k, steps} ∩ [1, steps] (nominal k = 5 without Lookahead).
  * f64_check: the same trajectory replayed in float64 torch (same code path), compared with the
    float32 golden values (information only, like the public files).

Coverage (names x01..x67, see CASES below):
  SGD      plain, weight decay, maximize (with and without wd), momentum with dampening>0
           (first-step rule), Nesterov + wd, momentum + LA reset with dampening (README §3.2),
           momentum + LA pullback (several k/alpha), momentum 0 + LA pullback/reset (no-op), long runs.
  Adam     L2 weight decay, AMSGrad (+wd, +pullback), maximize (+amsgrad), other betas/eps,
           LA reset / pullback, long run.
  AdamW    large wd, AMSGrad, maximize, LA reset / pullback, wd=0.
  RMSprop  momentum, centered, centered+momentum+wd, maximize, rho 0.9, LA pullback / reset,
           momentum 0 + LA pullback (no-op).
  Adagrad  defaults, lr_decay>0 and initial_accumulator_value>0, wd, eps, maximize, LA (policies no-op), k=1.
  RAdam    beta2 0.999 / 0.99 / 0.98 over >= 12 steps (first rectified step t=6), beta2 0.9 long run,
           weight decay, LA pullback / reset.
  NAdam    defaults, momentum_decay, weight decay, momentum_decay 0, other betas, LA pullback / reset, long run.
  Lookahead k in {1,2,3,4,5,7,10,20 (> steps: never syncs)}, alpha in {0, 0.3, 0.5, 0.7, 0.8, 0.9, 1},
           pullback none/reset/pullback, tensor sizes 1, 2, 3, 7, 33, 257, 4099 (> one CPU tile), 7-1000 steps.
"""
import argparse
import base64
import json
import math
import os
import sys

import numpy as np
import torch

SEED_TAG = 0x45585452  # "EXTR" (public cases use 0x5055424C "PUBL")
TOL = {"abs": 1e-06, "rel": 1e-05}

SMALL = [("a", 1), ("b", 3), ("c", 7), ("d", 33)]
BIG = [("a", 1), ("b", 7), ("c", 257)]
ODD = [("w", 2), ("x", 33), ("y", 3)]

# ------------------------------------------------------------------ inner optimizer configs (full field sets, README §4)


def sgd(lr=0.05, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    return {"type": "sgd", "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False, w=False):
    return {"type": "adamw" if w else "adam", "lr": lr, "betas": list(betas), "eps": eps,
            "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize}


def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False, maximize=False):
    return adam(lr, betas, eps, weight_decay, amsgrad, maximize, w=True)


def rmsprop(lr=1e-2, rho=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    return {"type": "rmsprop", "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
            "momentum": momentum, "centered": centered, "maximize": maximize}


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return {"type": "adagrad", "lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "eps": eps, "maximize": maximize}


def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return {"type": "radam", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay}


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    return {"type": "nadam", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay}


def la(k, alpha, pullback="none"):
    return {"k": k, "alpha": float(alpha), "pullback": pullback}


# (name, description, inner, lookahead or None, steps, tensors, gscale)
CASES = [
    # ---- SGD
    ("x01_sgd_wd", "SGD lr=0.05 weight_decay=0.01", sgd(weight_decay=0.01), None, 20, SMALL, 1.0),
    ("x02_sgd_maximize", "SGD maximize", sgd(lr=0.02, maximize=True), None, 12, SMALL, 1.0),
    ("x03_sgd_maximize_wd_mom", "SGD maximize + wd 0.05 + momentum 0.9", sgd(lr=0.01, momentum=0.9, weight_decay=0.05, maximize=True), None, 20, SMALL, 1.0),
    ("x04_sgd_mom_damp", "SGD momentum 0.9 dampening 0.5 (first-step rule buf=d)", sgd(lr=0.02, momentum=0.9, dampening=0.5), None, 15, SMALL, 1.0),
    ("x05_sgd_mom_damp_la5_reset", "SGD momentum 0.9 dampening 0.5 + LA k=5 alpha=0.5 reset (README 3.2)", sgd(lr=0.02, momentum=0.9, dampening=0.5), la(5, 0.5, "reset"), 23, SMALL, 1.0),
    ("x06_sgd_nesterov_wd_la3", "SGD Nesterov 0.9 wd 1e-3 + LA k=3 alpha=0.8", sgd(lr=0.01, momentum=0.9, weight_decay=1e-3, nesterov=True), la(3, 0.8), 20, BIG, 1.0),
    ("x07_sgd_mom_la5_pullback", "SGD momentum 0.9 + LA k=5 alpha=0.5 pullback", sgd(lr=0.02, momentum=0.9), la(5, 0.5, "pullback"), 30, SMALL, 1.0),
    ("x08_sgd_mom_damp_wd_la2_pullback", "SGD momentum 0.8 dampening 0.1 wd 0.01 + LA k=2 alpha=0.8 pullback", sgd(lr=0.03, momentum=0.8, dampening=0.1, weight_decay=0.01), la(2, 0.8, "pullback"), 17, ODD, 1.0),
    ("x09_sgd_mom_max_wd_la4_reset", "SGD momentum 0.9 maximize wd 0.02 + LA k=4 alpha=0.5 reset", sgd(lr=0.01, momentum=0.9, weight_decay=0.02, maximize=True), la(4, 0.5, "reset"), 21, SMALL, 1.0),
    ("x10_sgd_mom_la2_alpha0", "SGD momentum 0.9 + LA k=2 alpha=0 (theta back to theta0 at every sync)", sgd(lr=0.05, momentum=0.9), la(2, 0.0), 11, SMALL, 1.0),
    ("x11_sgd_nomom_la3_pullback", "SGD momentum 0 + LA k=3 alpha=0.5 pullback (no buffer: no-op)", sgd(lr=0.05), la(3, 0.5, "pullback"), 13, SMALL, 1.0),
    ("x12_sgd_nomom_la5_reset_damp", "SGD momentum 0 dampening 0.3 + LA k=5 alpha=0.8 reset (no-op)", sgd(lr=0.05, dampening=0.3), la(5, 0.8, "reset"), 12, ODD, 1.0),
    ("x13_sgd_nesterov_la10_long", "SGD Nesterov 0.95 + LA k=10 alpha=0.5, 120 steps", sgd(lr=0.005, momentum=0.95, nesterov=True), la(10, 0.5), 120, SMALL, 1.0),
    ("x14_sgd_mom_damp_la5_reset_long", "SGD momentum 0.9 dampening 0.9 wd 1e-4 + LA k=5 alpha=0.5 reset, 300 steps", sgd(lr=0.01, momentum=0.9, dampening=0.9, weight_decay=1e-4), la(5, 0.5, "reset"), 300, [("a", 1), ("b", 7)], 1.0),
    # ---- Adam
    ("x15_adam_wd", "Adam lr=1e-2 L2 weight_decay=0.05", adam(lr=1e-2, weight_decay=0.05), None, 20, SMALL, 1.0),
    ("x16_adam_amsgrad", "Adam amsgrad lr=1e-2", adam(lr=1e-2, amsgrad=True), None, 30, SMALL, 1.0),
    ("x17_adam_amsgrad_wd_la3_pullback", "Adam amsgrad wd 0.01 + LA k=3 alpha=0.8 pullback", adam(lr=1e-2, amsgrad=True, weight_decay=0.01), la(3, 0.8, "pullback"), 25, BIG, 1.0),
    ("x18_adam_maximize", "Adam maximize lr=1e-2", adam(lr=1e-2, maximize=True), None, 12, SMALL, 1.0),
    ("x19_adam_maximize_amsgrad_la2_reset", "Adam maximize amsgrad + LA k=2 alpha=0.5 reset", adam(lr=1e-2, maximize=True, amsgrad=True), la(2, 0.5, "reset"), 14, SMALL, 1.0),
    ("x20_adam_la5_reset", "Adam + LA k=5 alpha=0.5 reset", adam(lr=1e-2), la(5, 0.5, "reset"), 23, SMALL, 1.0),
    ("x21_adam_betas_la5_pullback", "Adam betas (0.8, 0.99) + LA k=5 alpha=0.5 pullback", adam(lr=1e-2, betas=(0.8, 0.99)), la(5, 0.5, "pullback"), 26, SMALL, 1.0),
    ("x22_adam_eps_smallgrad", "Adam eps=1e-3, gradients scaled by 1e-3", adam(lr=1e-2, eps=1e-3), None, 15, SMALL, 1e-3),
    ("x23_adam_la7_pullback_long", "Adam wd 1e-3 + LA k=7 alpha=0.5 pullback, 200 steps", adam(lr=3e-3, weight_decay=1e-3), la(7, 0.5, "pullback"), 200, SMALL, 1.0),
    ("x24_adam_la1", "Adam + LA k=1 alpha=0.5", adam(lr=1e-2), la(1, 0.5), 10, SMALL, 1.0),
    ("x25_adam_la2_alpha0_pullback", "Adam + LA k=2 alpha=0 pullback (each sync sets exp_avg to the cache, i.e. 0)", adam(lr=1e-2), la(2, 0.0, "pullback"), 10, SMALL, 1.0),
    # ---- AdamW
    ("x26_adamw_wd_amsgrad", "AdamW wd 0.1 amsgrad", adamw(lr=1e-2, weight_decay=0.1, amsgrad=True), None, 20, SMALL, 1.0),
    ("x27_adamw_maximize_la2_reset", "AdamW maximize + LA k=2 alpha=0.8 reset", adamw(lr=1e-2, maximize=True), la(2, 0.8, "reset"), 15, ODD, 1.0),
    ("x28_adamw_la3_pullback", "AdamW defaults (wd 0.01) + LA k=3 alpha=0.8 pullback", adamw(lr=1e-2), la(3, 0.8, "pullback"), 20, BIG, 1.0),
    ("x29_adamw_wd0_la5_alpha1", "AdamW wd 0 + LA k=5 alpha=1", adamw(lr=1e-2, weight_decay=0.0), la(5, 1.0), 16, SMALL, 1.0),
    # ---- RMSprop
    ("x30_rmsprop_mom", "RMSprop momentum 0.9", rmsprop(lr=1e-3, momentum=0.9), None, 20, SMALL, 1.0),
    ("x31_rmsprop_centered", "RMSprop centered", rmsprop(lr=1e-3, centered=True), None, 20, SMALL, 1.0),
    ("x32_rmsprop_centered_mom_wd", "RMSprop centered momentum 0.5 wd 0.01", rmsprop(lr=1e-3, centered=True, momentum=0.5, weight_decay=0.01), None, 25, BIG, 1.0),
    ("x33_rmsprop_mom_la5_pullback", "RMSprop momentum 0.9 + LA k=5 alpha=0.5 pullback", rmsprop(lr=1e-3, momentum=0.9), la(5, 0.5, "pullback"), 27, SMALL, 1.0),
    ("x34_rmsprop_centered_mom_la3_reset", "RMSprop centered momentum 0.9 + LA k=3 alpha=0.8 reset", rmsprop(lr=1e-3, momentum=0.9, centered=True), la(3, 0.8, "reset"), 20, SMALL, 1.0),
    ("x35_rmsprop_maximize_wd_rho09", "RMSprop maximize wd 0.01 rho 0.9 eps 1e-6", rmsprop(lr=1e-2, rho=0.9, eps=1e-6, weight_decay=0.01, maximize=True), None, 15, SMALL, 1.0),
    ("x36_rmsprop_nomom_la2_pullback", "RMSprop momentum 0 + LA k=2 alpha=0.5 pullback (no buffer: no-op)", rmsprop(lr=1e-2), la(2, 0.5, "pullback"), 12, SMALL, 1.0),
    ("x37_rmsprop_mom_max_la3_alpha1_pullback", "RMSprop momentum 0.9 maximize + LA k=3 alpha=1 pullback", rmsprop(lr=1e-3, momentum=0.9, maximize=True), la(3, 1.0, "pullback"), 13, SMALL, 1.0),
    # ---- Adagrad
    ("x38_adagrad", "Adagrad defaults (eps 1e-10)", adagrad(), None, 20, SMALL, 1.0),
    ("x39_adagrad_lrdecay_iav", "Adagrad lr_decay 0.05 initial_accumulator_value 0.1", adagrad(lr=0.05, lr_decay=0.05, initial_accumulator_value=0.1), None, 25, SMALL, 1.0),
    ("x40_adagrad_wd_eps_maximize", "Adagrad wd 0.01 eps 1e-6 maximize", adagrad(lr=0.05, weight_decay=0.01, eps=1e-6, maximize=True), None, 15, SMALL, 1.0),
    ("x41_adagrad_lrdecay_la5_reset", "Adagrad lr_decay 0.01 iav 0.5 + LA k=5 alpha=0.5 reset (no-op)", adagrad(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5), la(5, 0.5, "reset"), 23, BIG, 1.0),
    ("x42_adagrad_la1_pullback", "Adagrad + LA k=1 alpha=0.8 pullback (no-op)", adagrad(lr=0.05, weight_decay=1e-3), la(1, 0.8, "pullback"), 10, ODD, 1.0),
    # ---- RAdam
    ("x43_radam_b2_0999", "RAdam defaults beta2 0.999 (rho_5 = 4.996 < 5, first rectified step t=6)", radam(lr=1e-2), None, 16, SMALL, 1.0),
    ("x44_radam_b2_099", "RAdam beta2 0.99 lr 1e-2 (switch at t=6)", radam(lr=1e-2, betas=(0.9, 0.99)), None, 14, SMALL, 1.0),
    ("x45_radam_b2_098_wd", "RAdam beta2 0.98 wd 0.01", radam(lr=1e-2, betas=(0.9, 0.98), weight_decay=0.01), None, 12, ODD, 1.0),
    ("x46_radam_b2_09_long", "RAdam betas (0.8, 0.9) eps 1e-6, 120 steps", radam(lr=1e-3, betas=(0.8, 0.9), eps=1e-6), None, 120, SMALL, 1.0),
    ("x47_radam_la5_pullback", "RAdam + LA k=5 alpha=0.5 pullback", radam(lr=1e-2), la(5, 0.5, "pullback"), 30, BIG, 1.0),
    ("x48_radam_wd_la3_reset", "RAdam beta2 0.99 wd 0.01 + LA k=3 alpha=0.8 reset", radam(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.01), la(3, 0.8, "reset"), 20, SMALL, 1.0),
    ("x49_radam_la4_none", "RAdam + LA k=4 alpha=0.5 (sync before and after the switch)", radam(lr=1e-2), la(4, 0.5), 13, SMALL, 1.0),
    # ---- NAdam (documented formula)
    ("x50_nadam", "NAdam defaults (documented formula)", nadam(), None, 20, SMALL, 1.0),
    ("x51_nadam_md_wd", "NAdam momentum_decay 0.01 wd 0.01", nadam(lr=1e-2, momentum_decay=0.01, weight_decay=0.01), None, 25, SMALL, 1.0),
    ("x52_nadam_la5_pullback", "NAdam + LA k=5 alpha=0.5 pullback", nadam(lr=1e-2), la(5, 0.5, "pullback"), 30, BIG, 1.0),
    ("x53_nadam_md0_la3_reset", "NAdam momentum_decay 0 + LA k=3 alpha=0.8 reset", nadam(lr=1e-2, momentum_decay=0.0), la(3, 0.8, "reset"), 20, SMALL, 1.0),
    ("x54_nadam_betas_long", "NAdam betas (0.95, 0.99) wd 1e-3 + LA k=5 alpha=0.8, 150 steps", nadam(lr=3e-3, betas=(0.95, 0.99), weight_decay=1e-3), la(5, 0.8), 150, SMALL, 1.0),
    ("x55_nadam_la2_alpha1", "NAdam + LA k=2 alpha=1", nadam(lr=1e-2), la(2, 1.0), 9, ODD, 1.0),
    # ---- more Lookahead mixes
    ("x56_sgd_la1_alpha05_damp", "SGD momentum 0.5 dampening 0.5 + LA k=1 alpha=0.5 reset", sgd(lr=0.05, momentum=0.5, dampening=0.5), la(1, 0.5, "reset"), 10, SMALL, 1.0),
    ("x57_adam_la3_alpha0_reset", "Adam + LA k=3 alpha=0 reset", adam(lr=1e-2), la(3, 0.0, "reset"), 13, SMALL, 1.0),
    ("x58_rmsprop_centered_la7_none_long", "RMSprop centered momentum 0.5 + LA k=7 alpha=0.8, 100 steps", rmsprop(lr=1e-3, momentum=0.5, centered=True), la(7, 0.8), 100, SMALL, 1.0),
    ("x59_adagrad_lrdecay_la3_alpha1", "Adagrad lr_decay 0.1 + LA k=3 alpha=1", adagrad(lr=0.1, lr_decay=0.1), la(3, 1.0), 14, SMALL, 1.0),
    ("x60_adamw_amsgrad_la5_reset_long", "AdamW amsgrad wd 0.05 + LA k=5 alpha=0.5 reset, 150 steps", adamw(lr=3e-3, weight_decay=0.05, amsgrad=True), la(5, 0.5, "reset"), 150, SMALL, 1.0),
    # ---- edge cases: more alphas, k > steps, very long runs, a tensor larger than one CPU tile (4096)
    ("x61_adam_maximize_wd_la5_pullback_a07", "Adam maximize wd 0.02 + LA k=5 alpha=0.7 pullback", adam(lr=1e-2, weight_decay=0.02, maximize=True), la(5, 0.7, "pullback"), 21, SMALL, 1.0),
    ("x62_sgd_mom_la20_no_sync", "SGD momentum 0.9 + LA k=20 alpha=0.5 over 12 steps (never syncs)", sgd(lr=0.02, momentum=0.9), la(20, 0.5, "pullback"), 12, ODD, 1.0),
    ("x63_adam_b2_09999_long", "Adam betas (0.9, 0.9999) amsgrad, 1000 steps", adam(lr=1e-3, betas=(0.9, 0.9999), amsgrad=True), None, 1000, [("a", 1), ("b", 3)], 1.0),
    ("x64_radam_long_la10_pullback", "RAdam wd 1e-3 + LA k=10 alpha=0.3 pullback, 1000 steps", radam(lr=1e-3, weight_decay=1e-3), la(10, 0.3, "pullback"), 1000, [("a", 1), ("b", 3)], 1.0),
    ("x65_nadam_long_md", "NAdam momentum_decay 0.04, 1000 steps", nadam(lr=1e-3, momentum_decay=0.04), None, 1000, [("a", 1), ("b", 3)], 1.0),
    ("x66_rmsprop_centered_mom_big_la3_pullback", "RMSprop centered momentum 0.9 wd 1e-3 + LA k=3 alpha=0.9 pullback, one tensor of 4099 (> one tile)", rmsprop(lr=1e-3, momentum=0.9, centered=True, weight_decay=1e-3), la(3, 0.9, "pullback"), 7, [("a", 3), ("big", 4099)], 1.0),
    ("x67_adagrad_iav_la3_alpha03_long", "Adagrad lr_decay 1e-3 iav 0.01 wd 1e-3 + LA k=3 alpha=0.3, 400 steps", adagrad(lr=0.05, lr_decay=1e-3, initial_accumulator_value=0.01, weight_decay=1e-3), la(3, 0.3), 400, [("a", 1), ("b", 3)], 1.0),
]

# ------------------------------------------------------------------ data


def make_data(index, steps, tensors, gscale):
    rng = np.random.default_rng([SEED_TAG, index])
    init, grads = {}, {}
    for name, size in tensors:
        init[name] = rng.standard_normal(size).astype(np.float32)
    for name, size in tensors:
        n = steps * size
        g = rng.standard_normal(n) * gscale
        u = rng.random(n)
        big = u < 0.02
        tiny = (u >= 0.02) & (u < 0.04)
        zero = (u >= 0.04) & (u < 0.09)
        g[big] *= 10.0 ** rng.uniform(1.5, 3.0, int(big.sum()))
        g[tiny] = np.where(rng.random(int(tiny.sum())) < 0.5, -1.0, 1.0) * gscale * 10.0 ** rng.uniform(-12, -6, int(tiny.sum()))
        g[zero] = 0.0
        g = g.reshape(steps, size)
        if size >= 7:
            g[:, size // 2] = 0.0
        grads[name] = g.astype(np.float32)
    return init, grads


def after_steps(k, steps):
    return sorted({s for s in (1, k - 1, k, k + 1, 2 * k, steps) if 1 <= s <= steps})


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


# ------------------------------------------------------------------ NAdam, documented formula (README §2)


class NAdamDoc:
    """README §2 NAdam with torch tensor ops in the written order (== torch 1.13 foreach=True)."""

    def __init__(self, params, lr, betas, eps, weight_decay, momentum_decay):
        self.params = params
        self.lr, self.b1, self.b2, self.eps, self.wd, self.psi = lr, betas[0], betas[1], eps, weight_decay, momentum_decay
        self.state = {}

    @torch.no_grad()
    def step(self):
        for p in self.params:
            st = self.state.get(p)
            if st is None:
                st = self.state[p] = {"step": 0, "mu_product": torch.tensor(1.0, dtype=p.dtype),
                                      "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
            st["step"] += 1
            t = st["step"]
            bc2 = 1 - self.b2 ** t
            mu = self.b1 * (1. - 0.5 * (0.96 ** (t * self.psi)))
            mu_next = self.b1 * (1. - 0.5 * (0.96 ** ((t + 1) * self.psi)))
            st["mu_product"].mul_(mu)
            g = p.grad
            if self.wd != 0:
                g = g.add(p, alpha=self.wd)
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = (v.sqrt() / math.sqrt(bc2)).add_(self.eps)
            mp = st["mu_product"].item()
            p.addcdiv_(g, denom, value=(self.lr * (1. - mu) / (1. - mp)) * -1)
            p.addcdiv_(m, denom, value=(self.lr * mu_next / (1. - mp * mu_next)) * -1)


def build_inner(cfg, params, nadam_impl="doc"):
    t = cfg["type"]
    if t == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"], dampening=cfg["dampening"],
                               weight_decay=cfg["weight_decay"], nesterov=cfg["nesterov"], maximize=cfg["maximize"],
                               foreach=False)
    if t in ("adam", "adamw"):
        cls = torch.optim.Adam if t == "adam" else torch.optim.AdamW
        return cls(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"], weight_decay=cfg["weight_decay"],
                   amsgrad=cfg["amsgrad"], maximize=cfg["maximize"], foreach=False)
    if t == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg["lr"], alpha=cfg["rho"], eps=cfg["eps"],
                                   weight_decay=cfg["weight_decay"], momentum=cfg["momentum"],
                                   centered=cfg["centered"], maximize=cfg["maximize"], foreach=False)
    if t == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg["lr"], lr_decay=cfg["lr_decay"], weight_decay=cfg["weight_decay"],
                                   initial_accumulator_value=cfg["initial_accumulator_value"], eps=cfg["eps"],
                                   maximize=cfg["maximize"], foreach=False)
    if t == "radam":
        return torch.optim.RAdam(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"],
                                 weight_decay=cfg["weight_decay"], foreach=False)
    if t == "nadam":
        if nadam_impl == "torch_foreach":
            return torch.optim.NAdam(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"],
                                     weight_decay=cfg["weight_decay"], momentum_decay=cfg["momentum_decay"], foreach=True)
        return NAdamDoc(params, cfg["lr"], tuple(cfg["betas"]), cfg["eps"], cfg["weight_decay"], cfg["momentum_decay"])
    raise ValueError(t)


FIRST_MOMENT = {"sgd": "momentum_buffer", "rmsprop": "momentum_buffer", "adam": "exp_avg", "adamw": "exp_avg",
                "radam": "exp_avg", "nadam": "exp_avg", "adagrad": None}


class Lookahead:
    """README §1, literally."""

    def __init__(self, inner, params, key, k, alpha, pullback):
        self.inner, self.params, self.key = inner, params, key
        self.k, self.alpha, self.pullback = k, alpha, pullback
        self.slow = [p.detach().clone() for p in params]
        self.cache = [torch.zeros_like(p) for p in params] if pullback == "pullback" else None
        self.count = 0

    @torch.no_grad()
    def step(self):
        self.inner.step()
        self.count += 1
        if self.count % self.k != 0:
            return
        for i, (p, phi) in enumerate(zip(self.params, self.slow)):
            phi.add_(p - phi, alpha=self.alpha)
            p.copy_(phi)
            m = self.inner.state[p].get(self.key) if self.key else None
            if m is None or self.pullback == "none":
                continue
            if self.pullback == "reset":
                m.zero_()
            else:
                c = self.cache[i]
                m.mul_(self.alpha).add_(c, alpha=1 - self.alpha)
                self.cache[i] = m.clone()


def run(spec, init, grads, dtype, nadam_impl="doc"):
    name, desc, cfg, lcfg, steps, tensors, gscale = spec
    params = [torch.tensor(init[n], dtype=dtype).requires_grad_(True) for n, _ in tensors]
    inner = build_inner(cfg, params, nadam_impl)
    opt = Lookahead(inner, params, FIRST_MOMENT[cfg["type"]], lcfg["k"], lcfg["alpha"], lcfg["pullback"]) if lcfg else inner
    rec = after_steps(lcfg["k"] if lcfg else 5, steps)
    out_p, out_s = {}, {}
    for s in range(1, steps + 1):
        for p, (n, size) in zip(params, tensors):
            p.grad = torch.tensor(grads[n][s - 1], dtype=dtype)
        opt.step()
        if s in rec:
            out_p[s] = {n: p.detach().numpy().copy() for p, (n, _) in zip(params, tensors)}
            if lcfg:
                out_s[s] = {n: phi.numpy().copy() for phi, (n, _) in zip(opt.slow, tensors)}
    return rec, out_p, out_s


def compare(golden, ref, steps_sel):
    """Worst error of float32 golden values against float64 reference values."""
    w = {"max_abs": 0.0, "max_rel": 0.0, "usage": 0.0}
    for s in steps_sel:
        for part in golden:
            for n, g in part[s].items():
                r = ref[id(part)][s][n]
                d = np.abs(g.astype(np.float64) - r)
                w["max_abs"] = max(w["max_abs"], float(d.max()))
                nz = r != 0
                if nz.any():
                    w["max_rel"] = max(w["max_rel"], float((d[nz] / np.abs(r[nz])).max()))
                w["usage"] = max(w["usage"], float((d / (TOL["abs"] + TOL["rel"] * np.abs(r))).max()))
    return {k: float("%.4g" % v) for k, v in w.items()}


def make_case(index, spec):
    name, desc, cfg, lcfg, steps, tensors, gscale = spec
    init, grads = make_data(index, steps, tensors, gscale)
    rec, p32, s32 = run(spec, init, grads, torch.float32)
    _, p64, s64 = run(spec, init, grads, torch.float64)
    parts = [p32] + ([s32] if lcfg else [])
    ref = {id(p32): p64}
    if lcfg:
        ref[id(s32)] = s64
    f64 = {"final_step": compare(parts, ref, [steps]), "all_recorded_steps": compare(parts, ref, rec)}
    expect = {"after_step": rec,
              "params": {str(s): {n: b64(v) for n, v in p32[s].items()} for s in rec}}
    if lcfg:
        expect["slow"] = {str(s): {n: b64(v) for n, v in s32[s].items()} for s in rec}
    doc = {
        "format_version": 1,
        "name": name,
        "description": desc + ("" if gscale == 1.0 else " (gscale %r)" % gscale),
        "seed": [SEED_TAG, index],
        "dtype": "float32",
        "inner": cfg,
        "lookahead": lcfg,
        "steps": steps,
        "tensors": [{"name": n, "size": s} for n, s in tensors],
        "tolerance": dict(TOL),
        "f64_check": f64,
        "init": {n: b64(init[n]) for n, _ in tensors},
        "grads": {n: b64(grads[n].reshape(-1)) for n, _ in tensors},
        "expect": expect,
    }
    return doc, (init, grads, rec, p32, s32)


def check_nadam(index, spec, data):
    init, grads, rec, p32, s32 = data
    _, pt, st = run(spec, init, grads, torch.float32, nadam_impl="torch_foreach")
    same = all(np.array_equal(p32[s][n].view(np.uint32), pt[s][n].view(np.uint32)) for s in rec for n in p32[s])
    if spec[3]:
        same = same and all(np.array_equal(s32[s][n].view(np.uint32), st[s][n].view(np.uint32)) for s in rec for n in s32[s])
    return same


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", help="only cases whose name contains this")
    ap.add_argument("--check-nadam", action="store_true",
                    help="verify the hand NAdam is bit-identical to torch.optim.NAdam(foreach=True)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.outdir, exist_ok=True)
    names = [c[0] for c in CASES]
    assert len(set(names)) == len(names)
    bad = 0
    for i, spec in enumerate(CASES, start=1):
        if args.only and args.only not in spec[0]:
            continue
        doc, data = make_case(i, spec)
        with open(os.path.join(args.outdir, spec[0] + ".json"), "w") as fh:
            json.dump(doc, fh, separators=(", ", ": "))
            fh.write("\n")
        line = "%-42s usage(f64)=%.4f" % (spec[0], doc["f64_check"]["all_recorded_steps"]["usage"])
        if args.check_nadam and spec[2]["type"] == "nadam":
            ok = check_nadam(i, spec, data)
            bad += not ok
            line += "  torch NAdam(foreach=True) %s" % ("bit-identical" if ok else "DIFFERS")
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
