#!/usr/bin/env python3
"""Golden files for SSF, made with dongzelian/SSF's own ViT (`tuning_mode='ssf'`) at a tiny size.

    SSF_SRC=/work/src/SSF /work/venv-ssf/bin/python make_ssf_golden.py

SSF_SRC is a checkout of dongzelian/SSF (`git archive HEAD | tar -x`; set SSF_COMMIT when it has no .git). The
official module targets timm 0.6.5 (README "Install timm==0.6.5"); /work/venv-ssf is a venv with timm==0.6.5 over
the shared torch (see the report). Nothing of the official code is copied here: the script imports
`models.vision_transformer.VisionTransformer` (the official `ipdb` import is stubbed: it is unused) and the official
freezing and grouping from `optim_factory.create_optimizer_v2(model, 'adamw', tuning_mode='ssf')`, which sets
requires_grad (only head.*, ssf_scale*, ssf_shift_*) and builds the weight-decay groups recorded in meta.json.

Weights: official init with torch.manual_seed(0) (init_ssf_scale_shift: N(1, .02) / N(0, .02)), then the backbone's
embeddings, norms and biases and every SSF factor re-randomised more widely so every term is exercised. Logits, loss
and gradients in eval mode (drop-path off).

Outputs per case: <case>.safetensors (all tensors, official = timm names) and <case>_io.safetensors (x, labels,
logits, loss, grad/<name>); meta.json records the commit, the groups, and the official trainable count on ViT-B/16.
"""
import json, os, subprocess, sys, types

import torch
from safetensors.torch import save_file

SRC = os.environ["SSF_SRC"]
sys.modules.setdefault("ipdb", types.ModuleType("ipdb"))
sys.path.insert(0, SRC)
from models.vision_transformer import VisionTransformer  # noqa: E402
from optim_factory import create_optimizer_v2  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH = 32, 8, 32, 3, 4, 2, 5, 3


def build(seed=0, **kw):
    torch.manual_seed(seed)
    model = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                              mlp_ratio=MLP_RATIO, num_classes=CLASSES, tuning_mode="ssf", **kw)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ssf_scale" in name:
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            elif "ssf_shift" in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif "pos_embed" in name or "cls_token" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    opt = create_optimizer_v2(model, opt="adamw", lr=1e-3, weight_decay=0.05, tuning_mode="ssf")
    names = {id(p): n for n, p in model.named_parameters()}
    groups = [{"weight_decay": grp["weight_decay"], "params": sorted(names[id(p)] for p in grp["params"])} for grp in opt.param_groups]
    return model, groups


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def main():
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() \
        or os.environ.get("SSF_COMMIT", "unknown")
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    model, groups = build()
    weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    logits, loss, grads = run(model, x, y)
    save_file(weights, os.path.join(OUT, "ssf.safetensors"))
    io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1)}
    io.update(grads)
    save_file(io, os.path.join(OUT, "ssf_io.safetensors"))
    torch.manual_seed(0)
    vitb = VisionTransformer(num_classes=10, tuning_mode="ssf")
    create_optimizer_v2(vitb, opt="adamw", lr=1e-3, weight_decay=0.05, tuning_mode="ssf")
    count = {"ssf": sum(p.numel() for n, p in vitb.named_parameters() if p.requires_grad and not n.startswith("head.")),
             "head_10_classes": sum(p.numel() for n, p in vitb.named_parameters() if n.startswith("head."))}
    meta = {"repo": "dongzelian/SSF", "commit": commit, "timm": __import__("timm").__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp_ratio=MLP_RATIO, classes=CLASSES, batch=BATCH),
            "trainable_count": sum(v.numel() for v in grads.values()), "loss": float(loss),
            "adamw_groups": groups, "vitb16_trainable": count}
    print("ssf loss", float(loss), "trainable", meta["trainable_count"], "ViT-B/16", count)
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
