#!/usr/bin/env python3
"""Golden files for E2VPT (transfer type P_VK), made with ChengHan111/E2VPT's own model classes at a tiny size.

    E2VPT_SRC=/tmp/src-e2vpt /work/venv-torch/bin/python make_e2vpt_golden.py

E2VPT_SRC is a checkout of ChengHan111/E2VPT (`git archive HEAD | tar -x`); E2VPT_COMMIT (or `git rev-parse` in
E2VPT_SRC) is recorded in meta.json. Nothing of the official code is copied: the script imports
`src.models.vit_models.ViT` (→ `PromptedVisionTransformer_Prompt_VK` on `Transformer_changeVK`, head `head.last_layer`)
with the official `get_cfg()` (MODEL.TRANSFER_TYPE "P_VK", MODEL.P_VK.* set per case) after two monkeypatches
that only shrink the model: `CONFIGS["sup_vitb16_224"]` → a tiny ml_collections ViT config, and
`vit_models.build_vit_sup_models` → the official factory with its hard-coded width 768 replaced by the tiny width.
Weights: official init under torch.manual_seed(0); position/cls embeddings, norms and biases re-randomised; in the
mask case the two mask tensors are set to random values around 1 (they start at 1) so masking is exercised.

Outputs per case: <case>.safetensors (full weights, official names) and <case>_io.safetensors with x, labels,
logits (eval), loss (eval mode: dropout off) and grad/<name> of every trainable tensor (P_VK freezing rule).

First 5 training losses (meta.json "first_losses", train_batches.safetensors): for e2vpt_nomask and e2vpt_mask
(trainable, weight-decayed masks as in the pre-pruning phase), the official `src.engine.trainer.Trainer` is built on
the case's model (its __init__ runs the official `make_optimizer` = SGD with one group per tensor and no decay on
`last_layer.bias`, `make_scheduler` = WarmupCosineSchedule LambdaLR, `build_loss` = SoftmaxLoss), then 5 fixed
batches go through the official `Trainer.forward_one_batch(x, y, True)` (forward, loss, zero_grad, backward, SGD
step), with `scheduler.step()` after every ITERS_PER_EPOCH batches as `train_classifier` steps it once per epoch.
Eval mode (prompt dropout off); class weights the official "none" (all 1).
"""
import json, os, subprocess, sys, types

import torch
from safetensors.torch import load_file, save_file

SRC = os.environ["E2VPT_SRC"]
sys.path.insert(0, SRC)
sys.modules.setdefault("turtle", types.SimpleNamespace(forward=None))  # `from turtle import forward` (unused)
import timm.layers  # noqa: E402
sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))
# The MAE/MoCo P_VK backbones (imported, unused here) need a patched timm module the authors kept in their conda env;
# a placeholder lets the import succeed.
import timm.models  # noqa: E402
_placeholder = types.ModuleType("timm.models.vision_transformer_changeVK")
_placeholder.VisionTransformer_changeVK = torch.nn.Module
_placeholder._cfg = lambda *a, **k: {}
sys.modules["timm.models.vision_transformer_changeVK"] = _placeholder
timm.models.vision_transformer_changeVK = _placeholder

import ml_collections  # noqa: E402
from src.configs.config import get_cfg  # noqa: E402
from src.models import vit_models  # noqa: E402
from src.models.vit_backbones import vit as vit_backbone  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES, BATCH = 32, 8, 32, 3, 4, 64, 5, 3


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

# (P = NUM_TOKENS_P, K = NUM_TOKENS, extra P_VK options)
CASES = {
    # the "Origin 5runs" setting of command.txt (no masks)
    "e2vpt_nomask": dict(NUM_TOKENS_P=3, NUM_TOKENS=2, MASK_CLS_TOKEN=False),
    # the pruning setting: trainable token and piece masks (16 pieces of a 32-wide token → 2 channels each, strided)
    "e2vpt_mask": dict(NUM_TOKENS_P=3, NUM_TOKENS=2, MASK_CLS_TOKEN=True),
    # separate key and value prompts, appended behind (ablation switches)
    "e2vpt_sep": dict(NUM_TOKENS_P=2, NUM_TOKENS=3, MASK_CLS_TOKEN=False, SHARE_PARAM_KV=False, LAYER_BEHIND=False),
}


def build(opts, seed=0):
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = "P_VK"
    cfg.MODEL.TYPE = "vit"
    cfg.MODEL.MLP_NUM = 0
    cfg.DATA.FEATURE = "sup_vitb16_224"
    cfg.DATA.CROPSIZE = IMG
    cfg.DATA.NUMBER_CLASSES = CLASSES
    cfg.MODEL.P_VK.DEEP = True
    cfg.MODEL.P_VK.DEEP_P = True
    cfg.MODEL.P_VK.DROPOUT_P = 0.1
    cfg.MODEL.P_VK.ORIGIN_INIT = 2
    for k, v in opts.items():
        setattr(cfg.MODEL.P_VK, k, v)
    torch.manual_seed(seed)
    model = vit_models.ViT(cfg, load_pretrain=False)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "position_embeddings" in name or "cls_token" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif "mask_cls_token" in name:
                p.copy_(1 + 0.5 * (torch.rand(p.shape, generator=g) - 0.5))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias") and "last_layer" not in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model


def main():
    commit = os.environ.get("E2VPT_COMMIT") or subprocess.run(
        ["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    meta = {"repo": "ChengHan111/E2VPT", "commit": commit, "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH,
            heads=HEADS, mlp=MLP, classes=CLASSES, batch=BATCH), "cases": {}}
    for case, opts in CASES.items():
        model = build(opts)
        weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
        model.eval()
        with torch.no_grad():
            logits = model(x)
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
        save_file(weights, os.path.join(OUT, f"{case}.safetensors"))
        io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.detach().reshape(1)}
        io.update(grads)
        save_file(io, os.path.join(OUT, f"{case}_io.safetensors"))
        meta["cases"][case] = {"P_VK": opts, "trainable": sorted(k[5:] for k in grads), "loss": float(loss)}
        print(case, "loss", float(loss), "trainable", sorted(k[5:] for k in grads))
    meta["first_losses"] = first_losses()
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


# First-5-losses settings: 2 batches per "epoch", WarmupCosineSchedule(warmup 1, total 4) stepped per epoch
# (lr 0 in epoch 0 as in the official code, then 1.0, 0.75 of BASE_LR).
FL_LR, FL_WD, FL_MOMENTUM, FL_WARMUP, FL_TOTAL, FL_ITERS, FL_BATCH, FL_STEPS = 0.1, 1e-3, 0.9, 1, 4, 2, 4, 5


def first_losses():
    # src/engine/trainer.py imports plotting / attribution libraries used only by its visualisation methods.
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.colors", "captum", "captum.attr", "captum.attr.visualization",
                 "pytorch_grad_cam", "pytorch_grad_cam.utils", "pytorch_grad_cam.utils.image", "cv2"):
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.__getattr__ = lambda attr: None
            sys.modules[name] = stub
    from src.engine.trainer import Trainer
    g = torch.Generator().manual_seed(321)
    xs = torch.randn(FL_STEPS, FL_BATCH, 3, IMG, IMG, generator=g)
    ys = torch.randint(0, CLASSES, (FL_STEPS, FL_BATCH), generator=g)
    save_file({"x": xs.contiguous(), "y": ys.float().contiguous()}, os.path.join(OUT, "train_batches.safetensors"))
    out = dict(base_lr=FL_LR, weight_decay=FL_WD, momentum=FL_MOMENTUM, warmup_epoch=FL_WARMUP, total_epoch=FL_TOTAL,
               iters_per_epoch=FL_ITERS, batches="train_batches.safetensors", cases={})
    for case in ("e2vpt_nomask", "e2vpt_mask"):
        model = build(CASES[case])
        model.load_state_dict(load_file(os.path.join(OUT, f"{case}.safetensors")))
        cfg = get_cfg()
        cfg.SOLVER.OPTIMIZER, cfg.SOLVER.SCHEDULER = "sgd", "cosine"
        cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY, cfg.SOLVER.MOMENTUM = FL_LR, FL_WD, FL_MOMENTUM
        cfg.SOLVER.WARMUP_EPOCH, cfg.SOLVER.TOTAL_EPOCH = FL_WARMUP, FL_TOTAL
        cfg.SOLVER.LOSS = "softmax"
        cfg.OUTPUT_DIR = "/tmp/e2vpt-golden-out"
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
