#!/usr/bin/env python3
"""Golden files for AdaptFormer, made with ShoufaChen/AdaptFormer's own image model at a tiny size.

    ADAPTFORMER_SRC=/work/src/AdaptFormer /work/venv-torch/bin/python make_adaptformer_golden.py

ADAPTFORMER_SRC is a checkout of ShoufaChen/AdaptFormer (`git archive HEAD | tar -x`; set ADAPTFORMER_COMMIT when the
checkout has no .git). Nothing of the official code is copied here: the script imports `models.vit_image`
(VisionTransformer, whose blocks are `models.custom_modules.Block` with `models.adapter.Adapter` as `adaptmlp`).
`models/__init__.py` also imports the video model (extra packages), so the `models` package is registered empty
and only `models.vit_image` is imported from it.

The tuning config is what main_image.py:184-196 builds (ffn_adapt, ffn_option, ffn_adapter_layernorm_option,
ffn_adapter_init_option, ffn_adapter_scalar, ffn_num, d_model), varied per case. Weights: the official init with
torch.manual_seed(0), then every tensor re-randomised (the lora init zeroes up_proj, under which no adapter weight but
up_proj gets a gradient) so every term is exercised. The `mae-bn` case wraps the head in BatchNorm1d(affine=False,
eps=1e-6) as main_image.py:231 does and gives it random running statistics (eval mode uses them).

The official block splits the attention projection into q_proj/k_proj/v_proj and keeps fc1/fc2 on the block; the
weight files store the backbone in timm names (qkv = cat(q, k, v), mlp.fc1, mlp.fc2), the adapters and head in the
official names. Trainable tensors follow main_image.py:233-240 (everything a pre-trained ViT checkpoint lacks —
the adapters — plus the head). Logits, loss and gradients are computed in eval mode (the adapter's dropout 0.1 off).

Outputs per case: <case>.safetensors (weights) and <case>_io.safetensors (x, labels, logits, loss, grad/<name>);
meta.json records the commit, the config and the official trainable counts on ViT-B/16 (ffn_num 8 and 64).
"""
import json, os, subprocess, sys, types

import torch
from safetensors.torch import save_file

SRC = os.environ["ADAPTFORMER_SRC"]
pkg = types.ModuleType("models")
pkg.__path__ = [os.path.join(SRC, "models")]
sys.modules["models"] = pkg
sys.path.insert(0, SRC)
import models.vit_image as vit_image  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, FFN = 32, 8, 32, 3, 4, 2, 5, 3, 4


def tuning(ffn_option, ln, scalar, ffn_num=FFN, d_model=DIM):
    return types.SimpleNamespace(ffn_adapt=True, ffn_option=ffn_option, ffn_adapter_layernorm_option=ln,
                                 ffn_adapter_init_option="lora", ffn_adapter_scalar=scalar, ffn_num=ffn_num,
                                 d_model=d_model, vpt_on=False, vpt_num=1)


def build(cfg, bn_head, seed=0):
    torch.manual_seed(seed)
    model = vit_image.VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                                        mlp_ratio=MLP_RATIO, num_classes=CLASSES, tuning_config=cfg)
    if bn_head:
        model.head = torch.nn.Sequential(torch.nn.BatchNorm1d(model.head.in_features, affine=False, eps=1e-6), model.head)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".scale"):
                p.copy_(torch.tensor([0.7]))
            elif "adaptmlp" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_((0.5 if ("pos_embed" in name or "cls_token" in name) else 0.15) * torch.randn(p.shape, generator=g))
        if bn_head:
            bn = model.head[0]
            bn.running_mean.copy_(0.3 * torch.randn(bn.running_mean.shape, generator=g))
            bn.running_var.copy_(0.5 + torch.rand(bn.running_var.shape, generator=g))
    for name, p in model.named_parameters():
        p.requires_grad = "adaptmlp" in name or name.startswith("head.")
    return model


def timm_names(sd):
    """Backbone tensors in timm names (qkv fused, MLP under mlp.); adapters and head unchanged."""
    out = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            continue
        if ".attn.q_proj." in k:
            kind = k.rsplit(".", 1)[1]
            base = k.split(".attn.q_proj.")[0]
            parts = [sd[f"{base}.attn.{n}_proj.{kind}"] for n in "qkv"]
            out[f"{base}.attn.qkv.{kind}"] = torch.cat(parts, 0)
        elif ".attn.k_proj." in k or ".attn.v_proj." in k:
            continue
        elif ".fc1." in k or ".fc2." in k:
            out[k.replace(".fc1.", ".mlp.fc1.").replace(".fc2.", ".mlp.fc2.")] = v
        else:
            out[k] = v
    return {k: v.detach().clone().contiguous() for k, v in out.items()}


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)  # main_image.py:270 CrossEntropyLoss
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def vitb_count(ffn_num):
    torch.manual_seed(0)
    m = vit_image.vit_base_patch16(num_classes=10, tuning_config=tuning("parallel", "none", "0.1", ffn_num, 768))
    return sum(p.numel() for n, p in m.named_parameters() if "adaptmlp" in n), sum(p.numel() for n, p in m.named_parameters() if n.startswith("head."))


def main():
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() \
        or os.environ.get("ADAPTFORMER_COMMIT", "unknown")
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    cases = {
        "parallel_in_linear": (tuning("parallel", "in", "0.1"), False),
        # learnable_scalar with the output LayerNorm would give the scale an analytically ~0 gradient (LayerNorm is
        # scale-invariant), so the learnable scale is checked without it and `out` in the sequential case.
        "parallel_none_learnable_bn": (tuning("parallel", "none", "learnable_scalar"), True),
        "sequential_out_linear": (tuning("sequential", "out", "0.1"), False),
    }
    meta = {"repo": "ShoufaChen/AdaptFormer", "commit": commit, "timm": __import__("timm").__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp_ratio=MLP_RATIO, classes=CLASSES,
                           batch=BATCH, ffn_num=FFN), "cases": {}}
    for case, (cfg, bn) in cases.items():
        model = build(cfg, bn)
        weights = timm_names(model.state_dict())
        logits, loss, grads = run(model, x, y)
        save_file(weights, os.path.join(OUT, f"{case}.safetensors"))
        io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1)}
        io.update(grads)
        save_file(io, os.path.join(OUT, f"{case}_io.safetensors"))
        meta["cases"][case] = {"ffn_option": cfg.ffn_option, "ffn_adapter_layernorm_option": cfg.ffn_adapter_layernorm_option,
                               "ffn_adapter_scalar": cfg.ffn_adapter_scalar, "head": "mae-bn" if bn else "linear",
                               "trainable_count": sum(v.numel() for v in grads.values()), "loss": float(loss)}
        print(case, "loss", float(loss), "trainable", meta["cases"][case]["trainable_count"])
    meta["vitb16_trainable"] = {str(n): dict(zip(("adapters", "head_10_classes"), vitb_count(n))) for n in (8, 64)}
    print("ViT-B/16", meta["vitb16_trainable"])
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
