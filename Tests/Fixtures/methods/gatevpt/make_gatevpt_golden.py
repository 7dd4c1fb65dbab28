#!/usr/bin/env python3
"""Golden files for GateVPT (Yoo et al., ICML 2023: gated prompt tuning with learnable attention temperatures),
made with ryongithub/GatedPromptTuning's own classes at a tiny size.

    GATEVPT_SRC=/work/src/GatedPromptTuning GATEVPT_COMMIT=<sha> /work/venv-torch/bin/python make_gatevpt_golden.py

GATEVPT_SRC is a checkout of ryongithub/GatedPromptTuning (`git archive HEAD | tar -x`); its commit goes to meta.json
(from `git -C`, else GATEVPT_COMMIT). Nothing of the official code is copied here. The model is the official
`src.models.vit_models.SSLViT` (its `build_backbone` freezing rule: names with `prompt`, then every `gate` / `temp`
tensor trainable; its `head` = MLP with special_bias), built from the official yacs `get_cfg()` with the options of
run.sh. Monkeypatches that only shrink the model or bridge timm versions:
  * `build_vit_backbone.prompt_mae_vit` / `prompt_moco_vit` → the official `PromptedVisionTransformer` /
    `PromptedVisionTransformerMoCo` classes at a tiny size (image 32, patch 8, dim 32, depth 3, heads 4, MLP 64);
  * `torch.load` inside the official builders returns an empty checkpoint (weights come from the file written here);
  * `vit_models.build_mocov3_model` → the official builder with its hard-coded feature width (768) replaced by 32;
  * timm 1.x has neither `VisionTransformer.num_tokens` nor `dist_token`, which the official MoCo code (written for
    timm 0.5.4) reads: class attributes `num_tokens = 1`, `dist_token = None` stand in for what timm 0.5.4 sets;
    and timm 0.5.4's `forward` (head(forward_features(x))) replaces timm 1.x's, which passes keyword arguments the
    official `forward_features` does not take.
Weights: official init with torch.manual_seed(0), then position/cls embeddings, norms and biases re-randomised, the
gate logits drawn from N(0, 1) and the temperatures from U(0.5, 2) with one set to 20 (the forward clamps it to
TEMP_MAX 10, `reinit_temp`), so that every term is exercised.

Cases (each: <case>.safetensors in official names, <case>_io.safetensors with x, labels, logits (eval), loss (eval:
prompt dropout off) and `grad/<name>` for every trainable tensor):
  mae     DATA.FEATURE mae_vitb16: "original" pooling = mean of every token but CLS (prompts included) → `norm`.
  moco    DATA.FEATURE mocov3_vitb16: "original" pooling = `norm` → CLS token.
  moco_fixed_temp   TEMP_LEARN False (attention temperature 1), GATE_PRIOR True.

First 5 training losses (meta.json "first_losses", train_batches.safetensors): for mae and moco, the official
`src.engine.trainer.Trainer` is built on the model above (its __init__ runs the official `make_optimizer` — SGD, one
group per tensor, WEIGHT_DECAY 0 as run.sh:146 sets it —, `make_scheduler` = WarmupCosineSchedule and `build_loss` =
SoftmaxLoss), then 5 fixed batches go through `Trainer.forward_one_batch(x, y, True)` with `scheduler.step()` after
every ITERS_PER_EPOCH batches. The model is in eval mode (prompt dropout off: masks cannot be shared across
frameworks). Each forward clamps `temp` in place first (reinit_temp), so the replay also checks that the clamp acts on
the stored parameter between SGD steps. `temps` records `enc.temp` after the last step.
"""
import json, os, subprocess, sys, types
from functools import partial

import torch
from safetensors.torch import load_file, save_file

SRC = os.environ["GATEVPT_SRC"]
sys.path.insert(0, SRC)
import timm.layers  # noqa: E402
sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))
import timm.models.vision_transformer as timm_vit  # noqa: E402
timm_vit.VisionTransformer.num_tokens = 1
timm_vit.VisionTransformer.dist_token = None
# timm 0.5.4's forward: head(forward_features(x)) (the official encoders' head is Identity); timm 1.x passes extra
# keyword arguments to forward_features that the official override does not take.
timm_vit.VisionTransformer.forward = lambda self, x: self.head(self.forward_features(x))

from src.configs.config import get_cfg  # noqa: E402
from src.models import vit_models, build_vit_backbone  # noqa: E402
from src.models.vit_prompt.vit_mae import PromptedVisionTransformer  # noqa: E402
from src.models.vit_prompt.vit_moco import PromptedVisionTransformerMoCo  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES, BATCH, P = 32, 8, 32, 3, 4, 64, 5, 3, 3
GATE_NUM, TEMP_NUM = DEPTH - 1, DEPTH   # the official defaults 11 and 12 are depth − 1 and depth of ViT-B
TINY = dict(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS, mlp_ratio=MLP / DIM,
            qkv_bias=True, drop_path_rate=0.1, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6))

build_vit_backbone.prompt_mae_vit = lambda model_type, cfg: PromptedVisionTransformer(cfg, global_pool=True, **TINY)
build_vit_backbone.prompt_moco_vit = lambda model_type, cfg: PromptedVisionTransformerMoCo(cfg, **TINY)
_official_moco = vit_models.build_mocov3_model
vit_models.build_mocov3_model = lambda *a, **k: (_official_moco(*a, **k)[0], DIM)


class _EmptyCheckpoint:
    """torch.load stand-in while the official builders run: an empty state dict under the key each one reads."""
    def __enter__(self):
        self.load = torch.load
        torch.load = lambda *a, **k: {"model": {}, "state_dict": {}}

    def __exit__(self, *exc):
        torch.load = self.load


def build(feature, temp_learn=True, seed=0):
    cfg = get_cfg()
    # run.sh:143-163
    cfg.MODEL.TYPE = "ssl-vit"
    cfg.MODEL.TRANSFER_TYPE = "prompt"
    cfg.MODEL.PROMPT.NUM_TOKENS = P
    cfg.MODEL.PROMPT.DROPOUT = 0.1
    cfg.MODEL.PROMPT.DEEP = False
    cfg.MODEL.PROMPT.INITIATION = "random"
    cfg.MODEL.PROMPT.TEMP_LEARN = temp_learn
    cfg.MODEL.PROMPT.GATE_PRIOR = True
    cfg.MODEL.PROMPT.GATE_INIT = 5
    cfg.MODEL.PROMPT.VIT_POOL_TYPE = "original"
    cfg.MODEL.PROMPT.GATE_NUM = GATE_NUM
    cfg.MODEL.PROMPT.TEMP_NUM = TEMP_NUM
    cfg.DATA.FEATURE = feature
    cfg.DATA.CROPSIZE = IMG
    cfg.DATA.NUMBER_CLASSES = CLASSES
    torch.manual_seed(seed)
    with _EmptyCheckpoint():
        model = vit_models.SSLViT(cfg)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "pos_embed" in name or "cls_token" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif name.endswith("gate_logit"):
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("temp"):
                p.copy_(0.5 + 1.5 * torch.rand(p.shape, generator=g))
                p[1] = 20.0
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias") and "last_layer" not in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model


def run(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)  # the official loss: mean softmax CE (losses.py)
    loss.backward()
    grads = {"grad/" + n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    return logits, loss.detach(), grads


def main():
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not commit:
        commit = os.environ.get("GATEVPT_COMMIT", "unknown")
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    cases = {"mae": ("mae_vitb16", True), "moco": ("mocov3_vitb16", True), "moco_fixed_temp": ("mocov3_vitb16", False)}
    meta = {"repo": "ryongithub/GatedPromptTuning", "commit": commit,
            "config": dict(image=IMG, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp=MLP, classes=CLASSES,
                           batch=BATCH, num_tokens=P, gate_num=GATE_NUM, temp_num=TEMP_NUM), "cases": {}}
    for case, (feature, temp_learn) in cases.items():
        model = build(feature, temp_learn)
        # The official forward clamps `temp` in place (reinit_temp); the file keeps the unclamped values.
        weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
        logits, loss, grads = run(model, x, y)
        save_file(weights, os.path.join(OUT, f"{case}.safetensors"))
        io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.reshape(1)}
        io.update({k: v.contiguous() for k, v in grads.items()})
        save_file(io, os.path.join(OUT, f"{case}_io.safetensors"))
        count = sum(p.numel() for p in model.parameters() if p.requires_grad)
        meta["cases"][case] = {"FEATURE": feature, "TEMP_LEARN": temp_learn, "trainable": sorted(k[5:] for k in grads),
                               "trainable_count": count, "loss": float(loss)}
        print(case, feature, "loss", float(loss), "trainable", count, sorted(k[5:] for k in grads))
    meta["first_losses"] = first_losses(meta["cases"])
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


FL_LR, FL_MOMENTUM, FL_WARMUP, FL_TOTAL, FL_ITERS, FL_BATCH, FL_STEPS = 0.5, 0.9, 1, 4, 2, 4, 5


def first_losses(cases):
    # The trainer imports the evaluator, whose multilabel metrics import scikit-learn (unused on this path): a stub.
    if "sklearn" not in sys.modules:
        try:
            import sklearn.metrics  # noqa: F401
        except ImportError:
            stub = types.ModuleType("sklearn.metrics")
            stub.__getattr__ = lambda name: None
            sys.modules["sklearn"] = types.ModuleType("sklearn")
            sys.modules["sklearn.metrics"] = stub
    from src.engine.trainer import Trainer
    g = torch.Generator().manual_seed(321)
    xs = torch.randn(FL_STEPS, FL_BATCH, 3, IMG, IMG, generator=g)
    ys = torch.randint(0, CLASSES, (FL_STEPS, FL_BATCH), generator=g)
    save_file({"x": xs.contiguous(), "y": ys.float().contiguous()}, os.path.join(OUT, "train_batches.safetensors"))
    out = dict(base_lr=FL_LR, weight_decay=0.0, momentum=FL_MOMENTUM, warmup_epoch=FL_WARMUP, total_epoch=FL_TOTAL,
               iters_per_epoch=FL_ITERS, batches="train_batches.safetensors", cases={})
    for case in ("mae", "moco"):
        model = build(cases[case]["FEATURE"], True)
        model.load_state_dict(load_file(os.path.join(OUT, f"{case}.safetensors")))
        cfg = get_cfg()
        cfg.SOLVER.OPTIMIZER, cfg.SOLVER.SCHEDULER, cfg.SOLVER.LOSS = "sgd", "cosine", "softmax"
        cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY, cfg.SOLVER.MOMENTUM = FL_LR, 0.0, FL_MOMENTUM
        cfg.SOLVER.WARMUP_EPOCH, cfg.SOLVER.TOTAL_EPOCH = FL_WARMUP, FL_TOTAL
        cfg.OUTPUT_DIR = "/tmp/gatevpt-golden-out"
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
        temps = [float(t) for t in model.enc.temp.detach()]
        out["cases"][case] = dict(losses=losses, lrs=lrs, temps=temps)
        print(case, "first losses", losses, "lrs", lrs, "temps", temps)
    return out


if __name__ == "__main__":
    main()
