#!/usr/bin/env python3
"""SA2VP-Swin parity golden (dev time only; tests never run this).

    SA2VP_SRC=/tmp/src-sa2vp /work/venv-torch/bin/python Tests/Fixtures/methods/sa2vp-swin/make_sa2vp_swin_golden.py

SA2VP_SRC is a checkout of tommy-xq/SA2VP (git archive of the mirror). This script imports the official Swin model
(`vpt_main/src/models/vit_backbones/swin_transformer_tinypara.py`, the one `build_swin_backbone.py` and
`vit_train_swin.py` use), the official `Dual_model.forward` of `vit_train_swin.py` and
`engine_for_train.train_class_batch`, and runs them at a tiny size. The official code hard-codes Swin-B sizes, so:
  * the model is built with the official constructor at a tiny width (embed 8, widths 8/16/32/64, MLP ratio 2,
    heads 1/2/4/8, window 7) on 56-px images with patch 1, so that stage 0 is the 56x56 grid `deep_ppt` hard-codes
    (3136 tokens) and stage 2 the 14x14 grid the cross-attention index lists hard-code;
  * stage 2 is built with depth 18 (the official code attaches the cross-attention only to a depth-18 stage) and
    then cut to its first 7 blocks / 7 Cross_Blocks (the forward loops over `len(self.blocks)`), which still has
    both fusion directions (i % 6 == 0 for i = 0, 6);
  * the hard-coded-size submodules are replaced by same-kind modules of the tiny size (deep_ppt / proj_ppt,
    Cross_Block attention_norm / ffn_norm (eps 1e-6), CrossAttention qkv / to_out with the official 16 heads and
    scale (32/16)^-0.5, Mlp_small fc1 / fc2) and the head is Linear(64, C).
All forward code that runs is the official one. The cross-attention copies are filled from block i as
`build_swin_backbone._build_swin_model` does (norm1 -> attention_norm, attn.qkv -> attn.qkv, attn.proj -> to_out).

Writes: weights.safetensors (Dual_model state dict names, without the recomputed buffers), inputs.safetensors (x, y), logits.npy (eval-mode image
logits), grads.safetensors (grad of the training loss with dropout/drop-path off for every trainable tensor),
train_batches.safetensors + golden.json (loss, first 5 training losses, options, commit).
"""
import json, os, subprocess, sys, types, importlib
import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ["SA2VP_SRC"]
sys.path.insert(0, SRC)
six = types.ModuleType("torch._six"); six.inf = float("inf"); sys.modules["torch._six"] = six  # removed from torch 2
tbx = types.ModuleType("tensorboardX"); tbx.SummaryWriter = None; sys.modules["tensorboardX"] = tbx  # logging only
from vpt_main.src.models.vit_backbones import swin_transformer_tinypara as S
import engine_for_train

commit = os.environ.get("SA2VP_COMMIT") or subprocess.run(
    ["git", "--git-dir=/work/.mirror/tommy-xq+SA2VP/repo", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()

E, DEPTHS, HEADS, MLP_RATIO, WIN, d, C, LAMBDA, KEEP = 8, [2, 2, 18, 2], [1, 2, 4, 8], 2, 7, 4, 5, 0.5, 7
torch.manual_seed(0)
swin = S.SwinTransformer(img_size=56, patch_size=1, embed_dim=E, depths=DEPTHS, num_heads=HEADS, window_size=WIN,
                         mlp_ratio=MLP_RATIO, drop_path_rate=0.2, num_classes=-1)
st = swin.layers[2]
st.blocks = st.blocks[:KEEP]
st.cross_attn = st.cross_attn[:KEEP]
C2 = E * 4
pe = swin.patch_embed
pe.inter_dim = d
pe.deep_ppt = nn.Parameter(torch.randn(1, 56 * 56, d) * 0.5)
pe.proj_ppt = nn.Linear(d, E)
st.add_scale = LAMBDA
for blk in st.cross_attn:
    blk.attention_norm = nn.LayerNorm(C2, eps=1e-6)
    blk.ffn_norm = nn.LayerNorm(C2, eps=1e-6)
    blk.attn.qkv, blk.attn.to_out = nn.Linear(C2, 3 * C2), nn.Linear(C2, C2)
    blk.attn.scale = (C2 // blk.attn.heads) ** -0.5
    blk.ffn.fc1, blk.ffn.fc2 = nn.Linear(C2, d), nn.Linear(d, C2)
# Random weights everywhere (LayerNorms, biases and relative-position tables non-trivial so a mis-mapped tensor shows).
with torch.no_grad():
    for n, p in swin.named_parameters():
        if ".cross_attn." in n and (".attn." in n or ".attention_norm." in n):
            continue
        if n == "patch_embed.deep_ppt":
            continue
        if p.ndim == 1 or "relative_position_bias_table" in n:
            p.add_(torch.randn_like(p) * 0.1)
        else:
            p.copy_(torch.randn_like(p) * (1.0 / p[0].numel()) ** 0.5)
    for i, blk in enumerate(st.cross_attn):  # build_swin_backbone.py:371-388: copies of stage-2 block i
        L = st.blocks[i]
        blk.attention_norm.weight.copy_(L.norm1.weight); blk.attention_norm.bias.copy_(L.norm1.bias)
        blk.attn.qkv.weight.copy_(L.attn.qkv.weight); blk.attn.qkv.bias.copy_(L.attn.qkv.bias)
        blk.attn.to_out.weight.copy_(L.attn.proj.weight); blk.attn.to_out.bias.copy_(L.attn.proj.bias)

# The official Dual_model (vit_train_swin.py:44-70) without its checkpoint loading: same attributes, official forward.
for name, attrs in (("optim_factory", ["create_optimizer", "get_parameter_groups", "LayerDecayValueAssigner"]),
                    ("datasets", ["build_dataset", "build_beit_pretraining_dataset", "build_beit_pretraining_dataset_val"])):
    m = types.ModuleType(name)  # training-loop imports the model does not use (timm-0.4 optimisers, data paths)
    for a in attrs: setattr(m, a, None)
    sys.modules[name] = m
T = importlib.import_module("vit_train_swin")
Dual = T.Dual_model
model = Dual.__new__(Dual)
nn.Module.__init__(model)
model.vit_base = swin
model.class_head = nn.Linear(E * 8, C)
with torch.no_grad():
    model.class_head.weight.normal_(0, 0.3)
# Trainable selection exactly as Dual_model.__init__ (vit_train_swin.py:49-63).
for k, p in model.vit_base.named_parameters():
    s = k.split(".")
    if s[1] in ("deep_ppt", "proj_ppt"):
        p.requires_grad = True
    elif s[1] == "2" and s[2] == "cross_attn":
        p.requires_grad = s[4] in ("ffn", "ffn_norm")
    else:
        p.requires_grad = False

x = torch.randn(2, 3, 56, 56)
y = torch.tensor([1, 4])
model.eval()
with torch.no_grad():
    logits, _ = model(x)
loss, _ = engine_for_train.train_class_batch(model, x, y, nn.CrossEntropyLoss())
loss.backward()
grads = {n: p.grad.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}
sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
# Stored buffers the model recomputes (relative_position_index, attn_mask) are left out to keep the file small.
save_file({k: v for k, v in sd.items() if not k.endswith(("relative_position_index", "attn_mask"))}, os.path.join(HERE, "weights.safetensors"))
save_file({"x": x.contiguous(), "y": y.to(torch.float32)}, os.path.join(HERE, "inputs.safetensors"))
save_file(grads, os.path.join(HERE, "grads.safetensors"))
np.save(os.path.join(HERE, "logits.npy"), logits.detach().numpy().astype(np.float32))
backbone = dict(imageSize=56, patchSize=1, embedDim=E, depths=DEPTHS[:2] + [KEEP] + DEPTHS[3:], numHeads=HEADS,
                windowSize=WIN, mlpRatio=MLP_RATIO)
json.dump({"commit": commit, "loss": float(loss), "backbone": backbone, "num_classes": C,
           "options": {"inter_dim": d, "add_scale": LAMBDA}, "trainable": sorted(grads)},
          open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("loss", float(loss), "trainable tensors", len(grads))

# ---- First 5 training losses: official optimiser (optim_factory.create_optimizer, AdamW decay/no_decay groups),
# official per-iteration schedule (utils.cosine_scheduler), official loss, 5 fixed batches, from the weights above.
# Dropout and drop path are off (model.eval()): their masks cannot be shared across frameworks.
import timm.optim.nadam as _n, timm.optim.radam as _r
_n.Nadam = getattr(_n, "Nadam", None); _r.RAdam = getattr(_r, "RAdam", None)  # names optim_factory imports, unused by adamw
sys.modules.pop("optim_factory")
import optim_factory, utils as sa2vp_utils
from argparse import Namespace
model.load_state_dict(sd)
model.zero_grad(set_to_none=True)
LR, EPOCHS, NITER, WARM = 1e-2, 3, 2, 1
opt = optim_factory.create_optimizer(Namespace(opt="adamw", lr=LR, weight_decay=1e-4, opt_eps=1e-8, opt_betas=None, momentum=0.9), model)
sched = sa2vp_utils.cosine_scheduler(LR, 1e-7, EPOCHS, NITER, warmup_epochs=WARM)
torch.manual_seed(1)
bx = torch.randn(5, 2, 3, 56, 56)
by = torch.randint(0, C, (5, 2))
losses = []
model.eval()
for it in range(5):
    for g in opt.param_groups:
        g["lr"] = sched[it] * g["lr_scale"]
    loss, _ = engine_for_train.train_class_batch(model, bx[it], by[it], nn.CrossEntropyLoss())
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(float(loss))
save_file({"x": bx.contiguous(), "y": by.to(torch.float32).contiguous()}, os.path.join(HERE, "train_batches.safetensors"))
g = json.load(open(os.path.join(HERE, "golden.json")))
g["first_losses"] = dict(lr=LR, weight_decay=1e-4, min_lr=1e-7, epochs=EPOCHS, iters_per_epoch=NITER, warmup_epochs=WARM,
                         schedule=[float(v) for v in sched], losses=losses)
json.dump(g, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("first losses", losses)
