#!/usr/bin/env python3
"""Golden files for VPT (shallow/deep) and the VPT paper's baselines (linear/full/bias/partial-1),
made with KMnP/vpt's own model classes at a tiny size.

    VPT_SRC=/tmp/src-vpt /work/venv-torch/bin/python make_vpt_golden.py

VPT_SRC is a checkout of KMnP/vpt (`git archive HEAD | tar -x`). Nothing of the official code is copied
here: the script imports `src.models.vit_models.ViT` (which builds `PromptedVisionTransformer` or the plain
`VisionTransformer` and `head.last_layer`), after two monkeypatches that only shrink the model:
  * `CONFIGS["sup_vitb16_224"]` (the ml_collections ViT config) → a tiny ViT config;
  * `vit_models.build_vit_sup_models` → the official factory, with its hard-coded feature width
    (768 for sup_vitb16_224) replaced by the tiny width.
The yacs/fvcore config is the official `get_cfg()` with MODEL.TRANSFER_TYPE / MODEL.PROMPT.* set.
Weights: official init with torch.manual_seed(0), then position/cls embeddings, norms and biases
re-randomised (they are zeros/ones at init) so every term is exercised.

Outputs (per case): <case>.safetensors with the full weights in official names, and
<case>_io.safetensors with x, labels, logits (eval), loss (eval = dropout off), and `grad/<name>` for every
trainable tensor (the official TRANSFER_TYPE freezing rules decide which). meta.json records the commit.

First 5 training losses (meta.json "first_losses", train_batches.safetensors): for vpt_shallow and vpt_deep, the
official `src.engine.trainer.Trainer` is built on the model above (its __init__ runs the official
`make_optimizer` = SGD with one group per tensor and no decay on `last_layer.bias`, `make_scheduler` =
WarmupCosineSchedule LambdaLR and `build_loss` = SoftmaxLoss), then 5 fixed batches go through the official
`Trainer.forward_one_batch(x, y, True)` (forward, loss, zero_grad, backward, SGD step) with `scheduler.step()` after
every ITERS_PER_EPOCH batches, as `train_classifier` steps it once per epoch. The model is in eval mode so prompt
dropout is off (dropout masks cannot be shared across frameworks); class weights are the official "none" (all 1).
"""
import json, os, subprocess, sys, types

import numpy as np
import torch
from safetensors.torch import load_file, save_file

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
IMG, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES, BATCH, P = 32, 8, 32, 3, 4, 64, 5, 3, 3


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


vit_backbone.CONFIGS["sup_vitb16_224"] = tiny_vit_config()
_official_factory = vit_models.build_vit_sup_models
vit_models.build_vit_sup_models = lambda *a, **k: (_official_factory(*a, **k)[0], DIM)


def build(transfer, deep=False, seed=0):
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = transfer
    cfg.MODEL.MLP_NUM = 0
    cfg.DATA.FEATURE = "sup_vitb16_224"
    cfg.DATA.CROPSIZE = IMG
    cfg.DATA.NUMBER_CLASSES = CLASSES
    cfg.MODEL.PROMPT.NUM_TOKENS = P
    cfg.MODEL.PROMPT.DEEP = deep
    cfg.MODEL.PROMPT.DROPOUT = 0.1
    torch.manual_seed(seed)
    model = vit_models.ViT(cfg, load_pretrain=False)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "position_embeddings" in name or "cls_token" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif "adapter" in name:
                # Non-zero adapters (the official init is all zeros, under which only the up-projection bias
                # gets a gradient) so that parity exercises the whole adapter path.
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias") and "last_layer" not in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)  # the official loss: mean softmax CE
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def main():
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not commit:
        commit = os.environ.get("VPT_COMMIT", "unknown")
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    cases = {
        "vpt_shallow": ("prompt", False), "vpt_deep": ("prompt", True),
        "linear": ("linear", False), "full": ("end2end", False), "bias": ("tinytl-bias", False),
        "partial1": ("partial-1", False), "adapter": ("adapter", False),
    }
    meta = {"repo": "KMnP/vpt", "commit": commit, "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS,
            mlp=MLP, classes=CLASSES, batch=BATCH, num_tokens=P), "cases": {}}
    for case, (transfer, deep) in cases.items():
        model = build(transfer, deep)
        weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
        logits, loss, grads = run(model, x, y)
        # The baselines share one weight file (same backbone + head); VPT cases carry their prompts.
        wfile = case if case.startswith("vpt") or case == "adapter" else "baseline"
        save_file(weights, os.path.join(OUT, f"{wfile}.safetensors"))
        io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1)}
        io.update({k: v.contiguous() for k, v in grads.items()})
        save_file(io, os.path.join(OUT, f"{case}_io.safetensors"))
        meta["cases"][case] = {"TRANSFER_TYPE": transfer, "DEEP": deep, "weights": f"{wfile}.safetensors",
                               "trainable": sorted(k[5:] for k in grads), "loss": float(loss)}
        print(case, transfer, "loss", float(loss), "trainable tensors", len(grads))
    meta["first_losses"] = first_losses(meta["cases"])
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


# First-5-losses settings: 2 batches per "epoch", WarmupCosineSchedule(warmup 1, total 4) stepped per epoch
# (lr 0 in epoch 0 as in the official code, then 1.0, 0.75 of BASE_LR).
FL_LR, FL_WD, FL_MOMENTUM, FL_WARMUP, FL_TOTAL, FL_ITERS, FL_BATCH, FL_STEPS = 0.1, 1e-3, 0.9, 1, 4, 2, 4, 5


def first_losses(cases):
    from src.engine.trainer import Trainer
    g = torch.Generator().manual_seed(321)
    xs = torch.randn(FL_STEPS, FL_BATCH, 3, IMG, IMG, generator=g)
    ys = torch.randint(0, CLASSES, (FL_STEPS, FL_BATCH), generator=g)
    save_file({"x": xs.contiguous(), "y": ys.float().contiguous()}, os.path.join(OUT, "train_batches.safetensors"))
    out = dict(base_lr=FL_LR, weight_decay=FL_WD, momentum=FL_MOMENTUM, warmup_epoch=FL_WARMUP, total_epoch=FL_TOTAL,
               iters_per_epoch=FL_ITERS, batches="train_batches.safetensors", cases={})
    for case, deep in (("vpt_shallow", False), ("vpt_deep", True)):
        model = build("prompt", deep)
        model.load_state_dict(load_file(os.path.join(OUT, cases[case]["weights"])))
        cfg = get_cfg()
        cfg.SOLVER.OPTIMIZER, cfg.SOLVER.SCHEDULER = "sgd", "cosine"
        cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY, cfg.SOLVER.MOMENTUM = FL_LR, FL_WD, FL_MOMENTUM
        cfg.SOLVER.WARMUP_EPOCH, cfg.SOLVER.TOTAL_EPOCH = FL_WARMUP, FL_TOTAL
        cfg.SOLVER.LOSS = "softmax"
        cfg.OUTPUT_DIR = "/tmp/vpt-golden-out"
        trainer = Trainer(cfg, model, None, torch.device("cpu"))
        trainer.cls_weights = [1.0] * CLASSES  # get_class_weights("none")
        model.eval()
        losses, lrs = [], []
        for step in range(FL_STEPS):
            lrs.append(trainer.optimizer.param_groups[0]["lr"])
            loss, _ = trainer.forward_one_batch(xs[step], ys[step], True)
            losses.append(float(loss))
            if (step + 1) % FL_ITERS == 0:
                trainer.scheduler.step()
        out["cases"][case] = dict(losses=losses, lrs=lrs)
        print(case, "first losses", losses, "lrs", lrs)
    return out


if __name__ == "__main__":
    main()
