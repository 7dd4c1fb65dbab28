#!/usr/bin/env python3
"""Golden values for the engine's ops, optimisers and schedules, computed by PyTorch.

Dev-time only (tests and CI read the JSON it writes, never run it):
    pip install torch numpy timm   # torch 2.13 CPU was used
    python3 Tests/Fixtures/engine/make_engine_fixtures.py
Each case stores its inputs and PyTorch's outputs/gradients as float32 values in JSON
({"shape": [...], "data": [...]}) so the Swift tests need no NumPy reader.
"""
import json, math, os
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine_golden.json")
cases = {}


def t(x):
    x = x.detach().to(torch.float32).contiguous()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_(True)


def case(name, inputs, outputs):
    cases[name] = {"inputs": {k: t(v) for k, v in inputs.items()}, "outputs": {k: t(v) for k, v in outputs.items()}}


# GELU (exact erf form)
x = rnd(3, 7, scale=2.0); r = torch.randn(3, 7)
y = F.gelu(x); (y * r).sum().backward()
case("gelu", {"x": x, "r": r}, {"y": y, "dx": x.grad})

# LayerNorm eps 1e-6 with affine
x = rnd(4, 5, 9); w = rnd(9); b = rnd(9); r = torch.randn(4, 5, 9)
y = F.layer_norm(x, (9,), w, b, eps=1e-6); (y * r).sum().backward()
case("layernorm", {"x": x, "w": w, "b": b, "r": r}, {"y": y, "dx": x.grad, "dw": w.grad, "db": b.grad})

# softmax over the last axis
x = rnd(5, 11, scale=3.0); r = torch.randn(5, 11)
y = torch.softmax(x, -1); (y * r).sum().backward()
case("softmax", {"x": x, "r": r}, {"y": y, "dx": x.grad})

# scaled dot-product attention with an additive mask ([B,1,N,M], with -inf-free large negatives)
q = rnd(2, 3, 5, 4); k = rnd(2, 3, 6, 4); v = rnd(2, 3, 6, 4); r = torch.randn(2, 3, 5, 4)
mask = torch.zeros(2, 1, 5, 6); mask[0, 0, :, 4:] = -1e4; mask[1, 0, 2, 0] = -2.5
y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask); (y * r).sum().backward()
case("attention", {"q": q, "k": k, "v": v, "mask": mask, "r": r}, {"y": y, "dq": q.grad, "dk": k.grad, "dv": v.grad})

# conv2d: stride 2, padding 1, groups 2, bias
x = rnd(2, 4, 9, 8); w = rnd(6, 2, 3, 3); b = rnd(6); r = torch.randn(2, 6, 5, 4)
y = F.conv2d(x, w, b, stride=2, padding=1, groups=2); (y * r).sum().backward()
case("conv2d_s2_g2", {"x": x, "w": w, "b": b, "r": r}, {"y": y, "dx": x.grad, "dw": w.grad, "db": b.grad})

# depthwise conv, dilation 2
x = rnd(1, 3, 10, 10); w = rnd(3, 1, 3, 3); r = torch.randn(1, 3, 8, 8)
y = F.conv2d(x, w, None, stride=1, padding=1, dilation=2, groups=3); (y * r).sum().backward()
case("conv2d_depthwise_dil2", {"x": x, "w": w, "r": r}, {"y": y, "dx": x.grad, "dw": w.grad})

# BatchNorm2d train (batch stats + running update) and eval
x = rnd(3, 4, 5, 5, scale=2.0); w = rnd(4); b = rnd(4); r = torch.randn(3, 4, 5, 5)
rm = torch.randn(4) * 0.1; rv = torch.rand(4) + 0.5
rm_in, rv_in = rm.clone(), rv.clone()
y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5); (y * r).sum().backward()
case("batchnorm_train", {"x": x, "w": w, "b": b, "r": r, "running_mean": rm_in, "running_var": rv_in},
     {"y": y, "dx": x.grad, "dw": w.grad, "db": b.grad, "running_mean": rm, "running_var": rv})
x = rnd(3, 4, 5, 5); w = rnd(4); b = rnd(4); r = torch.randn(3, 4, 5, 5)
y = F.batch_norm(x, rv_in * 0 + rm_in, rv_in, w, b, training=False, eps=1e-5); (y * r).sum().backward()
case("batchnorm_eval", {"x": x, "w": w, "b": b, "r": r, "running_mean": rm_in, "running_var": rv_in},
     {"y": y, "dx": x.grad, "dw": w.grad, "db": b.grad})

# cross-entropy: hard labels with label smoothing 0.1, and soft targets
x = rnd(6, 5, scale=2.0); labels = torch.tensor([0, 4, 2, 2, 1, 3])
loss = F.cross_entropy(x, labels, label_smoothing=0.1); loss.backward()
case("cross_entropy_ls", {"x": x, "labels": labels.float()}, {"loss": loss.reshape(1), "dx": x.grad})
x = rnd(4, 7, scale=2.0); tgt = torch.softmax(torch.randn(4, 7), -1)
loss = torch.sum(-tgt * F.log_softmax(x, dim=-1), dim=-1).mean(); loss.backward()
case("cross_entropy_soft", {"x": x, "targets": tgt}, {"loss": loss.reshape(1), "dx": x.grad})

# one SGD step (momentum 0.9, wd 1e-3) twice, and one AdamW step (wd 0.05) twice, from fixed grads
p0 = torch.randn(10); g1 = torch.randn(10); g2 = torch.randn(10)
p = p0.clone().requires_grad_(True)
opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-3)
for g in (g1, g2):
    p.grad = g.clone(); opt.step()
case("sgd_two_steps", {"p": p0, "g1": g1, "g2": g2}, {"p": p})
p = p0.clone().requires_grad_(True)
opt = torch.optim.AdamW([p], lr=0.01, weight_decay=0.05, betas=(0.9, 0.999), eps=1e-8)
for g in (g1, g2):
    p.grad = g.clone(); opt.step()
case("adamw_two_steps", {"p": p0, "g1": g1, "g2": g2}, {"p": p})
p = p0.clone().requires_grad_(True)
opt = torch.optim.Adam([p], lr=0.01, weight_decay=0.01)
for g in (g1, g2):
    p.grad = g.clone(); opt.step()
case("adam_two_steps", {"p": p0, "g1": g1, "g2": g2}, {"p": p})

# schedules
sched = {}
# VPT WarmupCosineSchedule via LambdaLR stepped per epoch (W=10, T=100), base 0.25
def vpt_lambda(step, w=10, total=100):
    if step < w:
        return float(step) / float(max(1.0, w))
    progress = float(step - w) / float(max(1, total - w))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(0.5) * 2.0 * progress)))
p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=0.25)
ls = torch.optim.lr_scheduler.LambdaLR(opt, vpt_lambda)
vals = []
for e in range(100):
    vals.append(opt.param_groups[0]["lr"]); opt.step(); ls.step()
sched["warmupCosineEpoch"] = vals
# MAE/SA2VP cosine_scheduler(base 1e-3, final 1e-7, epochs 5, niter 4, warmup 2 epochs)
base, final, epochs, niter, wep = 1e-3, 1e-7, 5, 4, 2
warm = np.linspace(0, base, wep * niter)
iters = np.arange(epochs * niter - wep * niter)
cos = final + 0.5 * (base - final) * (1 + np.cos(np.pi * iters / len(iters)))
sched["linspaceWarmupCosine"] = [float(v) for v in np.concatenate((warm, cos))]
# timm CosineLRScheduler(t_initial=20, lr_min=1e-6, warmup_t=5, warmup_lr_init=1e-8), base 5e-3
try:
    import importlib.util, sys, types
    # timm's package __init__ imports torchvision; the scheduler module does not need it.
    spec = importlib.util.find_spec("timm")
    pkg = types.ModuleType("timm"); pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault("timm", pkg)
    from timm.scheduler.cosine_lr import CosineLRScheduler
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.AdamW([p], lr=5e-3)
    s = CosineLRScheduler(opt, t_initial=20, lr_min=1e-6, warmup_t=5, warmup_lr_init=1e-8, warmup_prefix=False, t_in_epochs=False)
    vals = []
    for t_ in range(20):
        s.step_update(t_)
        vals.append(opt.param_groups[0]["lr"])
    sched["timmCosine"] = vals
except ImportError:
    pass
# MultiStepLR milestones [100, 145] gamma 0.1 over 200 epochs (ILM-VP)
p = torch.zeros(1, requires_grad=True)
opt = torch.optim.Adam([p], lr=0.01)
ms = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[100, 145], gamma=0.1)
vals = []
for e in range(200):
    vals.append(opt.param_groups[0]["lr"]); opt.step(); ms.step()
sched["multiStep"] = vals

def _timm_version():
    try:
        from importlib.metadata import version
        return version("timm")
    except Exception:
        return None


with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "timm": _timm_version(), "cases": cases, "schedules": sched}, f)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
