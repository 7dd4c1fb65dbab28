#!/usr/bin/env python3
"""Golden files for FacT-TK, made with JieShibo/PETL-ViT's own `FacT/fact_tk.py` at a tiny size.

    FACT_SRC=/work/src/PETL-ViT /work/venv-fact/bin/python make_fact_golden.py

FACT_SRC is a checkout of JieShibo/PETL-ViT (`git archive HEAD | tar -x`; its commit is read from git, else from
$FACT_SRC/COMMIT or FACT_COMMIT). The official code targets timm 0.4.12 (FacT/README.md); /work/venv-fact is a venv with
timm==0.4.12 (+ pillow) over the shared torch. Nothing of the official code is copied here: the script imports
`fact_tk` (its unused `avalanche` import is stubbed) and calls the official `set_FacT` on a timm VisionTransformer,
whose Attention/Mlp forwards it replaces with `fact_forward_attn` / `fact_forward_mlp`. Those forwards read the module
global `vit`, so the model is assigned to `fact_tk.vit` first, as the official __main__ does.

set_FacT hard-codes ViT-B/16's width 768 (FacTu, FacTv) and its 12 blocks × 12 slots = 144 columns of FacTp
(fact_tk.py:109-111). At the tiny size the script re-creates those three tensors at width DIM and 12·DEPTH columns with
the same init calls; the forwards index FacTp by the per-module `idx` set_FacT assigned (0, 4, 12, 16, …), so only the
shapes change. The ViT-B/16 trainable count in meta.json comes from an untouched set_FacT on vit_base_patch16_224_in21k.

Weights: official init with torch.manual_seed(0), then everything (FacTv included, which the official init zeroes so
that no other factor would get a gradient) re-randomised. Logits, loss and gradients in eval mode (the factor dropout
and drop-path off). Trainable: every name containing 'FacT' or 'head' (fact_tk.py:195-201).

Outputs: fact.safetensors (weights, timm names) and fact_io.safetensors (x, labels, logits, loss, grad/<name>);
meta.json: the commit, config, trainable counts.
"""
import json, os, subprocess, sys, types

import torch
from torch import nn
from safetensors.torch import save_file

SRC = os.environ["FACT_SRC"]
for name in ("avalanche", "avalanche.evaluation", "avalanche.evaluation.metrics", "avalanche.evaluation.metrics.accuracy"):
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["avalanche.evaluation.metrics.accuracy"].Accuracy = None
sys.path.insert(0, os.path.join(SRC, "FacT"))
import fact_tk  # noqa: E402
import timm  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, RANK, SCALE = 32, 8, 32, 3, 4, 4, 5, 3, 4, 0.7


def commit_of(src):
    c = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not c and os.path.exists(os.path.join(src, "COMMIT")):
        c = open(os.path.join(src, "COMMIT")).read().strip()
    return c or os.environ.get("FACT_COMMIT", "unknown")


def attach(model, rank, scale):
    fact_tk.vit = model
    fact_tk.set_FacT(model, dim=rank, s=scale)


def build(seed=0):
    torch.manual_seed(seed)
    model = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                              mlp_ratio=MLP_RATIO, num_classes=CLASSES)
    attach(model, RANK, SCALE)
    # Tiny-size shapes (see the docstring): same modules and init calls, width DIM, 12·DEPTH slots.
    model.FacTu = nn.Linear(DIM, RANK, bias=False)
    model.FacTv = nn.Linear(RANK, DIM, bias=False)
    model.FacTp = nn.Parameter(torch.zeros([RANK, 12 * DEPTH]))
    nn.init.zeros_(model.FacTv.weight)
    nn.init.xavier_uniform_(model.FacTp)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif "FacT" in name:
                p.copy_(0.4 * torch.randn(p.shape, generator=g))
            else:
                p.copy_((0.5 if ("pos_embed" in name or "cls_token" in name) else 0.15) * torch.randn(p.shape, generator=g))
    for name, p in model.named_parameters():
        p.requires_grad = "FacT" in name or "head" in name
    return model


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)  # fact_tk.py:27 F.cross_entropy
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def vitb_counts(rank):
    torch.manual_seed(0)
    m = timm.create_model("vit_base_patch16_224_in21k", num_classes=10)
    attach(m, rank, 0.1)
    fact = sum(p.numel() for n, p in m.named_parameters() if "FacT" in n)
    head = sum(p.numel() for n, p in m.named_parameters() if "head" in n)
    return {"fact": fact, "head_10_classes": head}


def main():
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    model = build()
    weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    logits, loss, grads = run(model, x, y)
    save_file(weights, os.path.join(OUT, "fact.safetensors"))
    io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1)}
    io.update(grads)
    save_file(io, os.path.join(OUT, "fact_io.safetensors"))
    meta = {"repo": "JieShibo/PETL-ViT", "commit": commit_of(SRC), "file": "FacT/fact_tk.py", "timm": timm.__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp_ratio=MLP_RATIO, classes=CLASSES,
                           batch=BATCH, rank=RANK, scale=SCALE),
            "trainable_count": sum(v.numel() for v in grads.values()), "loss": float(loss),
            "vitb16_trainable": {str(r): vitb_counts(r) for r in (16, 32)}}
    print(json.dumps(meta, indent=1))
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
