#!/usr/bin/env python3
"""Golden files for Hydra (hydra_both), made with extremebird/Hydra's own `vtab1k/hydra.py` at a tiny size.

    HYDRA_SRC=/work/src/Hydra /work/venv-hydra/bin/python make_hydra_golden.py

HYDRA_SRC is a checkout of extremebird/Hydra (`git archive HEAD | tar -x`; its commit is read from git, else from
$HYDRA_SRC/COMMIT or HYDRA_COMMIT). The official code pins timm==0.9.2 (vtab1k/requirements.yaml); /work/venv-hydra is
a venv with timm==0.9.2 over the shared torch. Nothing of the official code is copied here: the script imports `hydra`
from vtab1k/ and calls the official `set_hydra(model, 'hydra_both', configs, dim)` on a timm VisionTransformer, which
replaces each block's Attention and Mlp forwards with forward_vit_hydra_attn / forward_vit_hydra_ffn.

set_hydra hard-codes ViT-B/16's width (Hydra_layer(in_features=4*768 / 768), hydra.py:81-84); at the tiny size the
script re-creates the four Hydra_layer modules of each block with the same class at width DIM (hydra_mlp_par's input:
the tiny MLP width DIM·MLP_RATIO). The ViT-B/16 trainable count in meta.json comes from an untouched set_hydra.

Weights: official init with torch.manual_seed(0), then everything re-randomised (the official init zeroes up_proj,
under which down_proj would get no gradient). Logits, loss and gradients in eval mode (branch dropout, drop-path off).
Trainable: names containing 'hydra', 'head' or 'scale' (train.py:105-110).

Outputs: hydra.safetensors (weights, timm names) and hydra_io.safetensors (x, labels, logits, loss, grad/<name>);
meta.json: commit, config, counts.
"""
import json, os, subprocess, sys

import torch
from safetensors.torch import save_file

SRC = os.environ["HYDRA_SRC"]
sys.path.insert(0, os.path.join(SRC, "vtab1k"))
import hydra  # noqa: E402
import timm  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, RANK, SCALE, DROPOUT = 32, 8, 32, 3, 4, 2, 5, 3, 2, 0.7, 0.2


def commit_of(src):
    c = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not c and os.path.exists(os.path.join(src, "COMMIT")):
        c = open(os.path.join(src, "COMMIT")).read().strip()
    return c or os.environ.get("HYDRA_COMMIT", "unknown")


def build(seed=0):
    torch.manual_seed(seed)
    model = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                              mlp_ratio=MLP_RATIO, num_classes=CLASSES)
    cfg = {"scale": SCALE, "dropout": DROPOUT}
    hydra.set_hydra(model, "hydra_both", cfg, dim=RANK)
    H = int(DIM * MLP_RATIO)
    for blk in model.blocks:  # tiny-width copies of the same modules (see the docstring), construction order of :81-84
        blk.mlp.hydra_mlp_par = hydra.Hydra_layer(in_features=H, hidden_dim=RANK, out_features=DIM, scale=SCALE, do=DROPOUT)
        blk.mlp.hydra_mlp_seq = hydra.Hydra_layer(in_features=DIM, hidden_dim=RANK, out_features=DIM, scale=SCALE, do=DROPOUT)
        blk.attn.hydra_proj_par = hydra.Hydra_layer(in_features=DIM, hidden_dim=RANK, out_features=DIM, scale=SCALE, do=DROPOUT)
        blk.attn.hydra_proj_seq = hydra.Hydra_layer(in_features=DIM, hidden_dim=RANK, out_features=DIM, scale=SCALE, do=DROPOUT)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif "hydra" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_((0.5 if ("pos_embed" in name or "cls_token" in name) else 0.15) * torch.randn(p.shape, generator=g))
    for name, p in model.named_parameters():
        p.requires_grad = "hydra" in name or "head" in name or "scale" in name
    return model


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.CrossEntropyLoss()(model(x), y)  # train.py:115
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def vitb_counts(rank):
    torch.manual_seed(0)
    m = timm.create_model("vit_base_patch16_224", num_classes=10)
    hydra.set_hydra(m, "hydra_both", {"scale": 0.1, "dropout": 0.2}, dim=rank)
    return {"hydra": sum(p.numel() for n, p in m.named_parameters() if "hydra" in n),
            "head_10_classes": sum(p.numel() for n, p in m.named_parameters() if "head" in n)}


def main():
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    model = build()
    weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    logits, loss, grads = run(model, x, y)
    save_file(weights, os.path.join(OUT, "hydra.safetensors"))
    io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1)}
    io.update(grads)
    save_file(io, os.path.join(OUT, "hydra_io.safetensors"))
    meta = {"repo": "extremebird/Hydra", "commit": commit_of(SRC), "file": "vtab1k/hydra.py", "timm": timm.__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp_ratio=MLP_RATIO, classes=CLASSES,
                           batch=BATCH, rank=RANK, scale=SCALE, dropout=DROPOUT),
            "trainable_count": sum(v.numel() for v in grads.values()), "loss": float(loss),
            "vitb16_trainable": {"2": vitb_counts(2)}}
    print(json.dumps(meta, indent=1))
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
