#!/usr/bin/env python3
"""Golden files for Sidetune (KMnP/vpt TRANSFER_TYPE "side"), made with KMnP/vpt's own model class
(`src.models.vit_models.ViT`, whose `setup_side` builds side_alpha, the AlexNet side network and side_projection).

    VPT_SRC=/work/src/vpt VPT_COMMIT=<sha> /work/venv-torch/bin/python make_sidetune_golden.py

VPT_SRC is a checkout of KMnP/vpt (`git archive HEAD | tar -x`); its commit goes to meta.json (from `git -C`, else
VPT_COMMIT). Nothing of the official code is copied here; the official class runs after monkeypatches that only
shrink the model:
  * `CONFIGS["sup_vitb16_224"]` → a tiny ViT config (dim 16, depth 2, patch 32 at 224 px);
  * `vit_models.build_vit_sup_models` → the official factory with the tiny feature width;
  * `vit_models.models.alexnet` (torchvision.models as vit_models imports it) → torchvision's own `AlexNet()` with its
    five Conv2d modules replaced by narrow ones of the same kernel/stride/padding (widths 8, 16, 16, 16, 256), random
    weights: the ReLU/MaxPool modules and `avgpool` are torchvision's, and the last width stays 256 so the flattened
    side output is the 9216 the official `nn.Linear(9216, feat_dim)` expects. `pretrained=True` (a download) is ignored.
Images are 224 px, so the 6×6 adaptive pool sees AlexNet's real 6×6 map.
Weights: official init with torch.manual_seed(0), then position/cls embeddings, norms and biases re-randomised, and
side_alpha set to 0.3 (its init 0 gives sigmoid 0.5, which would hide an a ↔ 1 − a swap).

Outputs: sidetune.safetensors (full weights, official names), sidetune_io.safetensors (x, labels, logits in eval mode,
loss, grad/<name> for every trainable tensor), alexnet_narrow_features.pth (the side network's `features` alone in
torchvision names, as torch.save writes a state dict: the loader test), meta.json (commit, trainable count).
"""
import json, os, subprocess, sys, types

import torch
import torchvision
from safetensors.torch import save_file

SRC = os.environ["VPT_SRC"]
sys.path.insert(0, SRC)
# vit_backbones/vit.py does `from turtle import forward` (unused); turtle needs tkinter.
sys.modules.setdefault("turtle", types.SimpleNamespace(forward=None))
# The MoCo/MAE backbones (imported, unused here) import a helper timm 1.x moved.
import timm.layers  # noqa: E402
sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))

import ml_collections  # noqa: E402
from src.configs.config import get_cfg  # noqa: E402
from src.models import vit_models  # noqa: E402
from src.models.vit_backbones import vit as vit_backbone  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES, BATCH = 224, 32, 16, 2, 2, 32, 5, 2
WIDTHS = [8, 16, 16, 16, 256]


def tiny_vit_config():
    c = ml_collections.ConfigDict()
    c.patches = ml_collections.ConfigDict({"size": (PATCH, PATCH)})
    c.hidden_size = DIM
    c.transformer = ml_collections.ConfigDict()
    c.transformer.mlp_dim = MLP
    c.transformer.num_heads = HEADS
    c.transformer.num_layers = DEPTH
    c.transformer.attention_dropout_rate = 0.0
    c.transformer.dropout_rate = 0.1
    c.classifier = "token"
    c.representation_size = None
    return c


def narrow_alexnet(pretrained=False, **kwargs):
    m = torchvision.models.AlexNet()
    in_c = 3
    for idx, w in zip([0, 3, 6, 8, 10], WIDTHS):
        old = m.features[idx]
        m.features[idx] = torch.nn.Conv2d(in_c, w, old.kernel_size, stride=old.stride, padding=old.padding)
        in_c = w
    return m


vit_backbone.CONFIGS["sup_vitb16_224"] = tiny_vit_config()
_official_factory = vit_models.build_vit_sup_models
vit_models.build_vit_sup_models = lambda *a, **k: (_official_factory(*a, **k)[0], DIM)
vit_models.models.alexnet = narrow_alexnet


def build(seed=0):
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = "side"
    cfg.MODEL.MLP_NUM = 0
    cfg.DATA.FEATURE = "sup_vitb16_224"
    cfg.DATA.CROPSIZE = IMG
    cfg.DATA.NUMBER_CLASSES = CLASSES
    torch.manual_seed(seed)
    model = vit_models.ViT(cfg, load_pretrain=False)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "position_embeddings" in name or "cls_token" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias") and "last_layer" not in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        model.side_alpha.fill_(0.3)
    return model


def main():
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not commit:
        commit = os.environ.get("VPT_COMMIT", "unknown")
    model = build()
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3])
    weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
    save_file(weights, os.path.join(OUT, "sidetune.safetensors"))
    torch.save({n[len("side."):]: t for n, t in weights.items() if n.startswith("side.features.")},
               os.path.join(OUT, "alexnet_narrow_features.pth"))
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)  # the official loss: mean softmax CE
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.detach().reshape(1)}
    io.update(grads)
    save_file(io, os.path.join(OUT, "sidetune_io.safetensors"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    meta = {"repo": "KMnP/vpt", "commit": commit, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp=MLP, classes=CLASSES, batch=BATCH,
                           side_widths=WIDTHS),
            "TRANSFER_TYPE": "side", "trainable_tensors": sorted(k[5:] for k in grads), "trainable_count": trainable,
            "loss": float(loss), "side_alpha": 0.3}
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("sidetune loss", float(loss), "trainable", trainable, "in", len(grads), "tensors")


if __name__ == "__main__":
    main()
