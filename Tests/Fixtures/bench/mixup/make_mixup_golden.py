#!/usr/bin/env python3
"""timm Mixup/CutMix golden (dev time only):  /work/venv-torch/bin/python Tests/Fixtures/bench/mixup/make_mixup_golden.py

Runs timm's own `Mixup` (mode='batch', label_smoothing 0.1) on a fixed batch with a fixed λ / mixup-vs-cutmix
decision (its `_params_per_batch` replaced by a constant) and numpy seeded for the CutMix box; records the box by
replaying `cutmix_bbox_and_lam` with the same seed, and the mixed images and soft targets timm returns.
"""
import json, os
import numpy as np
import torch
import timm
from timm.data.mixup import Mixup, cutmix_bbox_and_lam

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
x0 = torch.randn(4, 3, 8, 8)
y0 = torch.tensor([0, 3, 1, 3])
C = 5
cases = []
for name, lam, cut, seed in (("mixup", 0.7, False, 0), ("cutmix", 0.6, True, 5), ("none", 1.0, False, 0)):
    m = Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, prob=1.0, switch_prob=0.5, mode="batch", label_smoothing=0.1, num_classes=C)
    m._params_per_batch = lambda lam=lam, cut=cut: (lam, cut)
    np.random.seed(seed)
    x = x0.clone()
    xm, t = m(x, y0.clone())
    box, lam_c = None, lam
    if cut:
        np.random.seed(seed)
        box, lam_c = cutmix_bbox_and_lam(x0.shape, lam, ratio_minmax=None, correct_lam=True)
        box = [int(v) for v in box]
    cases.append(dict(name=name, lam=float(lam_c), box=box, images=xm.flatten().tolist(), targets=t.flatten().tolist()))
json.dump(dict(timm=timm.__version__, shape=list(x0.shape), classes=C, smoothing=0.1, x=x0.flatten().tolist(),
               labels=y0.tolist(), cases=cases), open(os.path.join(HERE, "mixup_golden.json"), "w"))
print([ (c["name"], c["lam"], c["box"]) for c in cases])
