#!/usr/bin/env python3
"""SA2VP parity golden (dev time only; tests never run this).

    SA2VP_SRC=/tmp/src-sa2vp /work/venv-torch/bin/python Tests/Fixtures/methods/sa2vp/make_sa2vp_golden.py

SA2VP_SRC is a checkout of tommy-xq/SA2VP (git archive of the mirror). This script imports the official model
(`vpt_main/src/models/vit_backbones/vit_tinypara.py`, the one `vit_train_sa2vp.py` uses), the official
`Dual_model.forward` and `engine_for_train.train_class_batch`, and runs them at a tiny size. The official code
hard-codes ViT-B sizes (768 width, 12 heads x 64, inner/inter dim 16); for a tiny config we build the model from
a tiny jeonsworld config (width 16, 2 heads, MLP 32, 12 layers, patch 2 on 28 px -> the 14x14 grid the
cross-attention index lists hard-code) and then replace the hard-coded-size submodules by same-kind modules of the
tiny size (ppt / ppt_proj / cross_conv / deep_ppt / deep_proj / Mlp_small fc1, fc2 / CrossAttention to_q..to_out
with heads=2, scale=8^-0.5). All forward code that runs is the official one. The cross-attention copies are
filled from block i as `Cross_Block.load_from` does.

Writes: weights.safetensors (Dual_model state dict names), inputs.safetensors (x, y),
logits.npy (eval-mode image-head logits), grads.safetensors (grad of the training loss with dropout off for every
trainable tensor, official names), golden.json (loss, options, commit).
"""
import json, os, subprocess, sys, types
import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ["SA2VP_SRC"]
sys.path.insert(0, SRC)
sys.modules.setdefault("turtle", types.ModuleType("turtle"))  # vit_tinypara.py imports `turtle.forward`, unused
sys.modules["turtle"].forward = None
six = types.ModuleType("torch._six"); six.inf = float("inf"); sys.modules["torch._six"] = six  # removed from torch 2
tbx = types.ModuleType("tensorboardX"); tbx.SummaryWriter = None; sys.modules["tensorboardX"] = tbx  # logging only
import ml_collections
from vpt_main.src.models.vit_backbones import vit_tinypara as V
import engine_for_train

commit = os.environ.get("SA2VP_COMMIT") or subprocess.run(
    ["git", "--git-dir=/work/.mirror/tommy-xq+SA2VP/repo", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()

D, H, MLP, d, C, LAMBDA = 16, 2, 32, 4, 5, 0.5
torch.manual_seed(0)
cfg = ml_collections.ConfigDict()
cfg.patches = ml_collections.ConfigDict({"size": (2, 2)})
cfg.hidden_size = D
cfg.transformer = ml_collections.ConfigDict(dict(mlp_dim=MLP, num_heads=H, num_layers=12, attention_dropout_rate=0.0, dropout_rate=0.1))
cfg.classifier = "token"
cfg.representation_size = None
V.CONFIGS["tiny"] = cfg
vit = V.VisionTransformer("tiny", img_size=28, num_classes=-1)

# Replace the hard-coded ViT-B-size pieces by tiny ones (same module kinds and inits as the official code).
def adapter(i, o):
    l = nn.Linear(i, o); nn.init.xavier_uniform_(l.weight); nn.init.normal_(l.bias, std=1e-6); return l
emb, enc = vit.transformer.embeddings, vit.transformer.encoder
emb.inner_dim = d
emb.ppt = nn.Parameter(torch.randn(1, 197, d) * 0.5)
emb.ppt_proj = adapter(d, D)
enc.inter_dim = d
enc.add_scale = LAMBDA
enc.cross_conv = nn.Parameter(torch.randn(2, D) * 0.5)
enc.deep_ppt = nn.Parameter(torch.randn(2, 1, 197, d) * 0.5)
enc.deep_proj = nn.ModuleList([adapter(d, D) for _ in range(2)])
for blk in enc.cross_attn:
    a = blk.attn
    a.heads, a.scale = H, (D // H) ** -0.5
    a.to_q, a.to_k, a.to_v, a.to_out = (nn.Linear(D, D) for _ in range(4))
    blk.ffn.fc1, blk.ffn.fc2 = adapter(D, d), adapter(d, D)
# Random backbone (position embedding, cls, LayerNorms and biases non-trivial so a mis-mapped tensor shows).
with torch.no_grad():
    for n, p in vit.named_parameters():
        if "cross_attn" in n and ".attn." in n or "attention_norm" in n and "cross_attn" in n:
            continue
        if n in ("transformer.embeddings.ppt", "transformer.encoder.cross_conv", "transformer.encoder.deep_ppt"):
            continue
        if p.ndim == 1 or "position_embeddings" in n or "cls_token" in n:
            p.add_(torch.randn_like(p) * 0.1)
        else:
            p.copy_(torch.randn_like(p) * (1.0 / p[0].numel()) ** 0.5)
    for i, blk in enumerate(enc.cross_attn):  # Cross_Block.load_from: copies of block i
        L = enc.layer[i]
        for dst, src in ((blk.attn.to_q, L.attn.query), (blk.attn.to_k, L.attn.key), (blk.attn.to_v, L.attn.value), (blk.attn.to_out, L.attn.out)):
            dst.weight.copy_(src.weight); dst.bias.copy_(src.bias)
        blk.attention_norm.weight.copy_(L.attention_norm.weight); blk.attention_norm.bias.copy_(L.attention_norm.bias)

# The official Dual_model (vit_train_sa2vp.py:44-74) without its checkpoint loading: same attributes, official forward.
import importlib
for name, attrs in (("optim_factory", ["create_optimizer", "get_parameter_groups", "LayerDecayValueAssigner"]),
                    ("datasets", ["build_dataset", "build_beit_pretraining_dataset", "build_beit_pretraining_dataset_val"])):
    m = types.ModuleType(name)  # training-loop imports the model does not use (timm-0.4 optimisers, data paths)
    for a in attrs: setattr(m, a, None)
    sys.modules[name] = m
try:
    T = importlib.import_module("vit_train_sa2vp")
    Dual = T.Dual_model
except Exception as e:  # heavy training-script imports; fall back to the class's source-free equivalent
    raise SystemExit(f"cannot import vit_train_sa2vp: {e}")
model = Dual.__new__(Dual)
nn.Module.__init__(model)
model.vit_base = vit
model.class_head = nn.Linear(D, C)
with torch.no_grad():
    model.class_head.weight.normal_(0, 0.3)
# Trainable selection exactly as Dual_model.__init__ (vit_train_sa2vp.py:51-67).
for k, p in model.vit_base.named_parameters():
    s = k.split(".")
    if s[2] in ("ppt", "cross_conv", "deep_ppt", "encoder_norm_2", "deep_proj", "ppt_proj"):
        p.requires_grad = True
    elif s[2] == "cross_attn":
        p.requires_grad = not (s[4] in ("attn", "attention_norm"))
    else:
        p.requires_grad = False

x = torch.randn(3, 3, 28, 28)
y = torch.tensor([1, 4, 2])
model.eval()
with torch.no_grad():
    logits, _ = model(x)
loss, _ = engine_for_train.train_class_batch(model, x, y, nn.CrossEntropyLoss())
loss.backward()
grads = {n: p.grad.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}
sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
save_file(sd, os.path.join(HERE, "weights.safetensors"))
save_file({"x": x.contiguous(), "y": y.to(torch.float32)}, os.path.join(HERE, "inputs.safetensors"))
save_file(grads, os.path.join(HERE, "grads.safetensors"))
np.save(os.path.join(HERE, "logits.npy"), logits.detach().numpy().astype(np.float32))
json.dump({"commit": commit, "loss": float(loss), "backbone": dict(imageSize=28, patchSize=2, dim=D, depth=12, heads=H, mlpDim=MLP),
           "num_classes": C, "options": {"inter_dim": d, "add_scale": LAMBDA},
           "trainable": sorted(grads)}, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("loss", float(loss), "trainable tensors", len(grads))

# ---- First 5 training losses: official optimiser (optim_factory.create_optimizer, AdamW with the decay/no_decay
# groups), official per-iteration schedule (utils.cosine_scheduler) and official loss, on 5 fixed batches, starting
# from the weights above. Dropout is off (model.eval()), since dropout masks cannot be shared across frameworks.
import timm.optim.nadam as _n, timm.optim.radam as _r
_n.Nadam = getattr(_n, "Nadam", None); _r.RAdam = getattr(_r, "RAdam", None)  # names optim_factory imports, unused by adamw
sys.modules.pop("optim_factory")  # the stub above was only for importing vit_train_sa2vp
import optim_factory, utils as sa2vp_utils
from argparse import Namespace
model.load_state_dict(sd)
model.zero_grad(set_to_none=True)
LR, EPOCHS, NITER, WARM = 1e-2, 3, 2, 1
opt = optim_factory.create_optimizer(Namespace(opt="adamw", lr=LR, weight_decay=1e-4, opt_eps=1e-8, opt_betas=None, momentum=0.9), model)
sched = sa2vp_utils.cosine_scheduler(LR, 1e-7, EPOCHS, NITER, warmup_epochs=WARM)
torch.manual_seed(1)
bx = torch.randn(5, 3, 3, 28, 28)
by = torch.randint(0, C, (5, 3))
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
