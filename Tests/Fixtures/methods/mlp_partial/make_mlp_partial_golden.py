#!/usr/bin/env python3
"""Golden files for MLP-k (MLP-3 = MODEL.MLP_NUM 2 on TRANSFER_TYPE linear) and Partial-k (TRANSFER_TYPE partial-2 /
partial-4), made with KMnP/vpt's own model classes (`src.models.vit_models.ViT` and `SSLViT`) at a tiny size.

    VPT_SRC=/work/src/vpt VPT_COMMIT=<sha> /work/venv-torch/bin/python make_mlp_partial_golden.py

VPT_SRC is a checkout of KMnP/vpt (`git archive HEAD | tar -x`); its commit goes to meta.json (from `git -C`, else
VPT_COMMIT). Nothing of the official code is copied here; the official classes run after monkeypatches that only
shrink the model:
  * `CONFIGS["sup_vitb16_224"]` (the ml_collections ViT config) → a tiny ViT config (depth 3 or 5);
  * `vit_models.build_vit_sup_models` → the official factory, with its hard-coded feature width replaced by the tiny one;
  * `vit_models.build_mocov3_model` → a tiny timm `VisionTransformer` (CLS readout after `norm`, head Identity), in
    place of the official MoCo v3 encoder, which is timm's VisionTransformer with another init and a fixed sin-cos
    position embedding (vit_backbones/vit_moco.py), and which needs a checkpoint on disk. The weights come from the
    file, so only the parameter names and the forward matter, and those are timm's. The partial-k freezing rule
    under test is the official `SSLViT.build_backbone`.
Weights: official init with torch.manual_seed(0), then position/cls embeddings, norms, biases and the BatchNorm
running statistics re-randomised so every term is exercised.

Cases (each: <weights>.safetensors in official names, <case>_io.safetensors with x, labels, logits, loss and
`grad/<name>` for every trainable tensor):
  mlp3          MLP_NUM 2, model.eval(): BatchNorm on running statistics, dropout off (what `bench probe` computes).
  mlp3_train    MLP_NUM 2 with the head in train mode (ViT.forward keeps `enc` in eval), the two Dropout(0.1)
                layers set to p = 0 (masks cannot be shared across frameworks): BatchNorm on batch statistics.
                Also `running/<name>`: the BatchNorm running statistics after that one training forward. A batch of
                16 and the model run in float64 (stored as float32): batch statistics of a few images are
                ill-conditioned, and PyTorch's own float32 gradients then differ from the exact ones by ~2e-3.
  partial2, partial4   the supervised ViT rule on a depth-5 ViT (partial-4 leaves block 0 and the embeddings frozen).
  moco_partial2        the SSLViT (MoCo v3) rule on a depth-5 timm ViT: the final `norm` stays frozen (`k != "norm"`).
"""
import json, os, subprocess, sys, types
from functools import partial

import torch
from safetensors.torch import save_file

SRC = os.environ["VPT_SRC"]
sys.path.insert(0, SRC)
# vit_backbones/vit.py does `from turtle import forward` (unused); turtle needs tkinter.
sys.modules.setdefault("turtle", types.SimpleNamespace(forward=None))
# The MoCo/MAE backbones (imported by build_vit_backbone) import a helper timm 1.x moved.
import timm.layers  # noqa: E402
sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))

import ml_collections  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402
from src.configs.config import get_cfg  # noqa: E402
from src.models import vit_models  # noqa: E402
from src.models.vit_backbones import vit as vit_backbone  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, HEADS, MLP, CLASSES, BATCH = 32, 8, 32, 4, 64, 5, 4


def tiny_vit_config(depth):
    c = ml_collections.ConfigDict()
    c.patches = ml_collections.ConfigDict({"size": (PATCH, PATCH)})
    c.hidden_size = DIM
    c.transformer = ml_collections.ConfigDict()
    c.transformer.mlp_dim = MLP
    c.transformer.num_heads = HEADS
    c.transformer.num_layers = depth
    c.transformer.attention_dropout_rate = 0.0
    c.transformer.dropout_rate = 0.1
    c.classifier = "token"
    c.representation_size = None
    return c


_official_factory = vit_models.build_vit_sup_models
vit_models.build_vit_sup_models = lambda *a, **k: (_official_factory(*a, **k)[0], DIM)
MOCO_DEPTH = 5
vit_models.build_mocov3_model = lambda *a, **k: (VisionTransformer(
    img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=MOCO_DEPTH, num_heads=HEADS, mlp_ratio=MLP / DIM, qkv_bias=True,
    norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_classes=0), DIM)


def build(transfer, depth, mlp_num=0, feature="sup_vitb16_224", seed=0):
    vit_backbone.CONFIGS["sup_vitb16_224"] = tiny_vit_config(depth)
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = transfer
    cfg.MODEL.MLP_NUM = mlp_num
    cfg.DATA.FEATURE = feature
    cfg.DATA.CROPSIZE = IMG
    cfg.DATA.NUMBER_CLASSES = CLASSES
    torch.manual_seed(seed)
    model = vit_models.SSLViT(cfg) if "moco" in feature else vit_models.ViT(cfg, load_pretrain=False)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "position_embeddings" in name or "cls_token" in name or "pos_embed" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif ("norm" in name or "projection" in name) and name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))  # LayerNorm and BatchNorm scales
            elif name.endswith("bias") and "last_layer" not in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.3 * torch.randn(b.shape, generator=g))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=g))
    return model


def grads_of(model):
    return {"grad/" + n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def run_eval(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)  # the official loss: mean softmax CE
    loss.backward()
    return logits, loss.detach(), grads_of(model), {}, x, y


def run_train_head(model, x, y):
    """One training-mode forward (the official ViT.forward puts the frozen encoder in eval), head dropout p = 0, in
    float64 on its own batch of 16."""
    g = torch.Generator().manual_seed(456)
    x = torch.randn(16, 3, IMG, IMG, generator=g)
    y = torch.randint(0, CLASSES, (16,), generator=g)
    model = model.double()
    model.train()
    for m in model.head.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    model.zero_grad()
    logits = model(x.double())
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    running = {"running/" + n: b.detach().float().clone() for n, b in model.named_buffers() if "running" in n}
    grads = {k: v.float() for k, v in grads_of(model).items()}
    return logits.detach().float(), loss.detach().float(), grads, running, x, y


def main():
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not commit:
        commit = os.environ.get("VPT_COMMIT", "unknown")
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1, 4])
    # case: (TRANSFER_TYPE, depth, MLP_NUM, DATA.FEATURE, weights file, runner)
    cases = {
        "mlp3": ("linear", 3, 2, "sup_vitb16_224", "mlp3", run_eval),
        "mlp3_train": ("linear", 3, 2, "sup_vitb16_224", "mlp3", run_train_head),
        "partial2": ("partial-2", 5, 0, "sup_vitb16_224", "depth5", run_eval),
        "partial4": ("partial-4", 5, 0, "sup_vitb16_224", "depth5", run_eval),
        "moco_partial2": ("partial-2", MOCO_DEPTH, 0, "mocov3_vitb", "moco_depth5", run_eval),
    }
    meta = {"repo": "KMnP/vpt", "commit": commit, "timm": timm.__version__, "torch": torch.__version__,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, heads=HEADS, mlp=MLP, classes=CLASSES, batch=BATCH), "cases": {}}
    for case, (transfer, depth, mlp_num, feature, wfile, runner) in cases.items():
        model = build(transfer, depth, mlp_num, feature)
        weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
        logits, loss, grads, running, xc, yc = runner(model, x, y)
        save_file(weights, os.path.join(OUT, f"{wfile}.safetensors"))
        io = {"x": xc, "labels": yc.float(), "logits": logits, "loss": loss.reshape(1)}
        io.update({k: v.contiguous() for k, v in grads.items()})
        io.update({k: v.contiguous() for k, v in running.items()})
        save_file(io, os.path.join(OUT, f"{case}_io.safetensors"))
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        meta["cases"][case] = {"TRANSFER_TYPE": transfer, "MLP_NUM": mlp_num, "FEATURE": feature, "depth": depth,
                               "weights": f"{wfile}.safetensors", "trainable_tensors": sorted(k[5:] for k in grads),
                               "trainable_count": trainable, "loss": float(loss)}
        print(case, transfer, "loss", float(loss), "trainable", trainable, "in", len(grads), "tensors")
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
