"""Golden files for the DA-VPT parity tests (Tests/MethodsTests/DAVPTTests.swift).

Imports the official model / loss / k-means code from a checkout of Noahsark/DA-VPT named by DAVPT_SRC
(e.g. `git --git-dir=/work/.mirror/Noahsark+DA-VPT/repo archive HEAD | tar -x -C /tmp/src-davpt`) and runs it
on CPU on a tiny config. Contains none of the official code; CUDA-only allocations are redirected to CPU.

First 5 training losses (golden.json "first_losses", train_batches.safetensors): the official `train.train_one_epoch`
runs on the model above (its loss = CE + the proxy-anchor terms the model returns, `clip_grad_value_(10)`, the
GradScaler (disabled on CPU) around `optimizer.step()`, and `lr_scheduler.step_update` after every update), with the
optimiser built as `train.train()` builds it (`utils.param_groups_weight_decay` with weight_decay / wd_head, then
`train.create_optimizer` = AdamW) and the scheduler from timm's `create_scheduler(args, optimizer, updates_per_epoch)`
with `args` from the official `params.parse_args()` (vitb_cub200.yaml) and the small overrides below
(sched_on_updates, 3 epochs of 2 updates, warmup 1 epoch, dynamic_kmeans off so the mapping stays fixed, drop rates 0).
Each epoch is one call on a 2-batch list; `lr_scheduler.step(epoch + 1, acc)` follows as in `train.train()`.
CUDA calls inside train_one_epoch (`torch.cuda.synchronize`, `Tensor.cuda`) are made no-ops to run on CPU; per-step
losses are read by wrapping the model's forward and the criterion (both still the official ones).

Run: DAVPT_SRC=/tmp/src-davpt DAVPT_GIT=/work/.mirror/Noahsark+DA-VPT/repo \
     /work/venv-torch/bin/python Tests/Fixtures/methods/da_vpt/make_davpt_golden.py
"""
import json, os, subprocess, sys, types
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

SRC = os.environ["DAVPT_SRC"]
sys.path.insert(0, SRC)
OUT = os.path.dirname(os.path.abspath(__file__))
commit = subprocess.check_output(["git", "--git-dir", os.environ.get("DAVPT_GIT", os.path.join(SRC, ".git")),
                                  "rev-parse", "HEAD"]).decode().strip()

# The official code allocates a few buffers with device='cuda'; run everything on CPU.
_zeros = torch.zeros
def _zeros_cpu(*a, **k):
    k.pop("device", None)
    return _zeros(*a, **k)
torch.zeros = _zeros_cpu

import models.attn as attn_mod          # noqa: E402
import models.vpt as vpt_mod            # noqa: E402
_gen = attn_mod.VPTAttention._generate_mask
attn_mod.VPTAttention._generate_mask = lambda self, L, S, n, device: _gen(self, L, S, n, torch.device("cpu"))

# Tiny config: img 32, patch 8 (16 image tokens), D 32, depth 4, 2 heads; proxy layers 2-3, others 0-1.
D, DEPTH, HEADS, C, B = 32, 4, 2, 6, 8
cfg = dict(num_prompts=3, proxy_prompt_len=4, proxy_prompt_start_idx=2, proxy_prompt_end_idx=3,
           prompt_drop_rate=0.0, proxy_vpt=True, criterion="proxyanchor",
           loss_oproxy_pos_alpha=32.0, loss_oproxy_neg_alpha=32.0, loss_oproxy_pos_delta=0.1, loss_oproxy_neg_delta=-0.1,
           initial_mapping="kmeans", vpt_norm="l2", init_divide_by8=True, mask=True,
           vpt_loss_weight=0.3, cls_loss_weight=0.2, loss_vpt_scale_ratio=5.0,
           patch_type="output", cls_type="query", vpt_type_for_cls_ml="vpt", vpt_type_for_patch_ml="vpt",
           train_cls=True, norm_norm1=True, bias_k=True, bias_v=True, bias_proj=True, bias_fc2=True, bias_norm2=True)
args = types.SimpleNamespace(**cfg, device="cpu", quiet_mode=True, vpt_cls_loss=False, mae_pooling="all",
                             num_classes=C, test_vpt_loss_off=False, test_cls_loss_off=False)
mapping = [0, 1, 2, 3, 0, 2]
labels = [0, 1, 2, 3, 4, 5, 0, 4]

torch.manual_seed(0)
model = vpt_mod.PromptVisionTransformer(
    args, mapping=torch.tensor(mapping), num_classes=C, num_img_tokens=16, img_size=32, patch_size=8,
    embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=4, qkv_bias=True,
    norm_layer=partial(nn.LayerNorm, eps=1e-6), drop_path_rate=0.0)
# Stand-in for pretrained weights: perturb every tensor so biases / LN affine are non-trivial.
with torch.no_grad():
    for n, p in model.named_parameters():
        if "prompt_tokens" not in n:
            p.add_(0.05 * torch.randn_like(p))
model.separate_qkv_params()  # model_creator.py:132
# model_creator.py:134-169 with the ViT-B config flags above.
learn = ["prompt_token", "head", "proxy_prompt_tokens", "other_prompt_tokens", "vpt_norm",
         "k.bias", "v.bias", "fc2.bias", "proj.bias", "norm2.bias", "norm1", "cls_token"]
model.set_learnable_parameters(learn)
model.head = nn.Linear(D, C)  # model_creator.py:171-176
nn.init.trunc_normal_(model.head.weight, std=0.02)
nn.init.constant_(model.head.bias, 0)
with torch.no_grad():
    model.head.bias.add_(0.01 * torch.randn(C))

x = torch.randn(B, 3, 32, 32)
y = torch.tensor(labels)

model.eval()
with torch.no_grad():
    logits_eval = model(x)[0]

model.train()
logits, vpt_loss, _ = model(x, labels=y)
ce = F.cross_entropy(logits, y)
loss = ce + vpt_loss
assert float(vpt_loss) > 0, "metric-learning loss silently 0 (forward_vpt swallows errors)"
loss.backward()

weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
grads = {n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
save_file(weights, os.path.join(OUT, "weights.safetensors"))
save_file(grads, os.path.join(OUT, "grads.safetensors"))
np.save(os.path.join(OUT, "x.npy"), x.numpy().astype(np.float32))
np.save(os.path.join(OUT, "labels.npy"), np.array(labels, dtype=np.int64))
np.save(os.path.join(OUT, "logits.npy"), logits_eval.numpy().astype(np.float32))

# Cosine k-means (model_creator.py:196-256), warm-started so the result is deterministic.
import importlib
for stub in ["Dataset.FGVC_json", "Dataset.VTAB_txt", "Dataset.class_sampler", "Dataset.mapping_sampler",
             "Dataset.torch_vision", "Dataset.names", "utils.utils", "params"]:
    m = types.ModuleType(stub)
    if stub == "Dataset.names":
        m._FGVC_CATALOG = m._VTAB_CATALOG = m._TORCH_VISION_CATALOG = m._MODEL_CATALOG = {}
    sys.modules[stub] = m
mc = importlib.import_module("model_creator")
g = torch.Generator().manual_seed(1)
data = torch.randn(12, D, generator=g) + torch.randn(3, D, generator=g).repeat(4, 1)
start = F.layer_norm(data[[0, 1, 5]], (D,))
cents, assign = mc.cosine_kmeans(data.clone(), 3, centroids=start.clone(), norm="layer")
np.save(os.path.join(OUT, "kmeans_data.npy"), data.numpy().astype(np.float32))
np.save(os.path.join(OUT, "kmeans_start.npy"), start.numpy().astype(np.float32))
np.save(os.path.join(OUT, "kmeans_assign.npy"), assign.numpy().astype(np.int64))
np.save(os.path.join(OUT, "kmeans_centroids.npy"), cents.numpy().astype(np.float32))

meta = dict(official_repo="Noahsark/DA-VPT", commit=commit, torch=torch.__version__, config=cfg,
            vit=dict(img_size=32, patch_size=8, dim=D, depth=DEPTH, heads=HEADS, mlp_ratio=4), num_classes=C,
            mapping=mapping, labels=labels, loss=float(loss), ce=float(ce), vpt_loss=float(vpt_loss),
            trainable=sorted(grads), kmeans_assign=assign.tolist())
with open(os.path.join(OUT, "golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
print(json.dumps({k: meta[k] for k in ["loss", "ce", "vpt_loss", "kmeans_assign"]}))


# ---- First 5 training losses through the official train_one_epoch.
for stub in ["utils.utils", "params"]:
    sys.modules.pop(stub, None)
import utils.utils as da_utils  # noqa: E402
import params as da_params  # noqa: E402
torch.cuda.synchronize = lambda *a, **k: None
torch.Tensor.cuda = lambda self, *a, **k: self
import train as da_train  # noqa: E402
from timm.scheduler.scheduler_factory import create_scheduler  # noqa: E402

FL = dict(lr=1e-2, weight_decay=0.05, wd_head=3.0, epochs=3, iters_per_epoch=2, warmup_epochs=1, warmup_lr=1e-4, min_lr=1e-6)
argv = sys.argv
sys.argv = ["train.py", "--config", os.path.join(SRC, "configs/fgvc/vitb_cub200.yaml")]
targs = da_params.parse_args()
sys.argv = argv
for k, v in vars(args).items():
    setattr(targs, k, v)
targs.tuning_type, targs.dynamic_kmeans, targs.optimizer, targs.sched, targs.sched_on_updates = "prompt", 0, "adamw", "cosine", True
targs.gpu = 0
for k, v in FL.items():
    if k != "iters_per_epoch":
        setattr(targs, k, v)
model.load_state_dict(weights)
model.zero_grad(set_to_none=True)
param_groups = da_utils.param_groups_weight_decay(targs, model=model, weight_decay=targs.weight_decay, weight_decay_head=targs.wd_head)
optimizer = da_train.create_optimizer(targs, param_groups)
g = torch.Generator().manual_seed(77)
steps = FL["epochs"] * FL["iters_per_epoch"]
bx = torch.randn(steps, B, 3, 32, 32, generator=g)
by = torch.randint(0, C, (steps, B), generator=g)
lr_scheduler, _ = create_scheduler(targs, optimizer, updates_per_epoch=FL["iters_per_epoch"])
losses, lrs, pending = [], [], {}
_forward = model.forward
def recording_forward(*a, **k):
    out = _forward(*a, **k)
    pending["vpt"] = float(out[1])
    lrs.append(optimizer.param_groups[0]["lr"])
    return out
model.forward = recording_forward
ce_loss = nn.CrossEntropyLoss()
def criterion(logits, target):
    l = ce_loss(logits, target)
    losses.append(float(l) + pending.pop("vpt"))
    return l
scaler = torch.cuda.amp.GradScaler(enabled=False)
for epoch in range(FL["epochs"]):
    n = FL["iters_per_epoch"]
    loader = [(bx[i], by[i]) for i in range(epoch * n, (epoch + 1) * n)]
    _, train_acc, _, _ = da_train.train_one_epoch(targs, model, loader, optimizer, criterion, epoch, scaler, nullcontext_ := __import__("contextlib").nullcontext(), lr_scheduler)
    lr_scheduler.step(epoch + 1, train_acc)
save_file({"x": bx.contiguous(), "y": by.to(torch.float32).contiguous()}, os.path.join(OUT, "train_batches.safetensors"))
meta["first_losses"] = dict(FL, clip_value=10.0, warmup_lr_init=targs.warmup_lr, losses=losses, lrs=lrs)
with open(os.path.join(OUT, "golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
print("first losses", losses, "lrs", lrs)
