#!/usr/bin/env python3
"""Golden files for RepAdapter, made with luogen1996/RepAdapter's own `repadapter.py` at a tiny size.

    REPADAPTER_SRC=/work/src/RepAdapter /work/venv-torch/bin/python make_repadapter_golden.py

REPADAPTER_SRC is a checkout of luogen1996/RepAdapter (`git archive HEAD | tar -x`; its commit is read from git, else
from $REPADAPTER_SRC/COMMIT or REPADAPTER_COMMIT). The repository pins no timm version; its block forward uses
`drop_path1` (timm ≥ 0.6), and the shared venv's timm runs it. Nothing of the official code is copied here: the script
imports `repadapter` and calls the official `set_RepAdapter(model, method, dim, s)` on a timm VisionTransformer, and
for the merged model `set_RepAdapter(..., set_forward=False)` + `set_RepWeight` as test.py:77-84 does.

Weights: official init with torch.manual_seed(0), then everything re-randomised (the official init zeroes conv_B,
under which conv_A would get no gradient). Logits, loss and gradients in eval mode (adapter dropout and drop-path off).
Trainable: every name containing 'adapter' or 'head' (train.py:126-131).

Outputs per case: <case>.safetensors (weights, timm names) and <case>_io.safetensors (x, labels, logits, loss,
merged_logits — the eval logits of the re-parameterised model — and grad/<name>); meta.json: commit, config, counts.
"""
import json, os, subprocess, sys

import torch
from safetensors.torch import save_file

SRC = os.environ["REPADAPTER_SRC"]
sys.path.insert(0, SRC)
import repadapter  # noqa: E402
import timm  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, HIDDEN, SCALE = 32, 8, 32, 3, 4, 2, 5, 3, 4, 0.7


def commit_of(src):
    c = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not c and os.path.exists(os.path.join(src, "COMMIT")):
        c = open(os.path.join(src, "COMMIT")).read().strip()
    return c or os.environ.get("REPADAPTER_COMMIT", "unknown")


def tiny(seed=0):
    torch.manual_seed(seed)
    return VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                             mlp_ratio=MLP_RATIO, num_classes=CLASSES)


def build(method, seed=0):
    model = tiny(seed)
    repadapter.set_RepAdapter(model, method, dim=HIDDEN, s=SCALE)
    for blk in model.blocks:  # the official RepAdapter() hard-codes in_features=768; same class at the tiny width
        blk.adapter_attn = repadapter.RepAdapter(in_features=DIM, hidden_dim=HIDDEN, scale=SCALE)
        if method == "repblock":
            blk.adapter_mlp = repadapter.RepAdapter(in_features=DIM, hidden_dim=HIDDEN, scale=SCALE)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif "adapter" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_((0.5 if ("pos_embed" in name or "cls_token" in name) else 0.15) * torch.randn(p.shape, generator=g))
    for name, p in model.named_parameters():
        p.requires_grad = "adapter" in name or "head" in name
    return model


def merged_logits(method, weights, x):
    model = tiny()
    repadapter.set_RepAdapter(model, method, dim=HIDDEN, s=SCALE, set_forward=False)
    for blk in model.blocks:
        blk.adapter_attn = repadapter.RepAdapter(in_features=DIM, hidden_dim=HIDDEN, scale=SCALE)
        if method == "repblock":
            blk.adapter_mlp = repadapter.RepAdapter(in_features=DIM, hidden_dim=HIDDEN, scale=SCALE)
    model.load_state_dict(weights)
    repadapter.set_RepWeight(model, method, dim=HIDDEN, s=SCALE)
    model.eval()
    with torch.no_grad():
        return model(x)


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.CrossEntropyLoss()(model(x), y)  # train.py:144
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def vitb_counts(method, dim):
    torch.manual_seed(0)
    m = timm.create_model("vit_base_patch16_224", num_classes=10)
    repadapter.set_RepAdapter(m, method, dim=dim, s=0.1)
    ad = {n: p.numel() for n, p in m.named_parameters() if "adapter" in n}
    return {"adapters": sum(ad.values()), "adapter_weights": sum(v for n, v in ad.items() if n.endswith("weight")),
            "head_10_classes": sum(p.numel() for n, p in m.named_parameters() if "head" in n)}


def main():
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    meta = {"repo": "luogen1996/RepAdapter", "commit": commit_of(SRC), "file": "repadapter.py", "timm": timm.__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp_ratio=MLP_RATIO, classes=CLASSES,
                           batch=BATCH, hidden=HIDDEN, scale=SCALE, groups=2), "cases": {}}
    for method in ("repblock", "repattn"):
        model = build(method)
        weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        logits, loss, grads = run(model, x, y)
        ml = merged_logits(method, weights, x)
        save_file(weights, os.path.join(OUT, f"{method}.safetensors"))
        io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1), "merged_logits": ml}
        io.update(grads)
        save_file(io, os.path.join(OUT, f"{method}_io.safetensors"))
        meta["cases"][method] = {"trainable_count": sum(v.numel() for v in grads.values()), "loss": float(loss),
                                 "merged_max_abs_diff": float((ml - logits).abs().max())}
    meta["vitb16_trainable"] = {m: vitb_counts(m, 8) for m in ("repblock", "repattn")}
    print(json.dumps(meta, indent=1))
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
