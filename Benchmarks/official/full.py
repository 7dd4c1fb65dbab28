"""Full fine-tuning train step with KMnP/vpt's own ViT, for timing against `bench throughput --methods full`.

Dev-time only (torch + timm + ml_collections + fvcore/yacs, no GPU): the checkout is named by VPT_SRC (a plain tree,
e.g. `git --git-dir=/work/.mirror/KMnP+vpt/repo archive HEAD | tar -x -C /tmp/src-KMnP+vpt`).
Nothing of the official code is copied; this file only imports from the checkout:
  * `src.configs.config.get_cfg` with MODEL.TRANSFER_TYPE "end2end", DATA.FEATURE "sup_vitb16_224" (ViT-B/16, 224 px,
    `src/configs/vit_configs.py`: dropout_rate 0.1, attention_dropout_rate 0.0), DATA.NUMBER_CLASSES, MLP_NUM 0;
  * `src.models.vit_models.ViT(cfg, load_pretrain=False)` → `build_vit_sup_models` → the plain `VisionTransformer`
    (src/models/vit_backbones/vit.py) with head `head.last_layer` (src/models/mlp.py). "end2end" freezes nothing: every
    backbone tensor and the head train (what ours does: FullFinetune);
  * `src.solver.losses.build_loss` — SoftmaxLoss with the class weights of DATA.CLASS_WEIGHTS_TYPE "none" (all 1), called
    as `Trainer.forward_one_batch` (src/engine/trainer.py) calls it.
Mode: `model.train()` as `Trainer.train_classifier` sets it. "end2end" is the one transfer type whose encoder is not put
back into eval (`ViT.forward` does that only for frozen encoders), so the backbone's Dropout(0.1) layers (Embeddings,
Mlp) act during the step, as in our FullFinetune (backbone dropout 0.1 in training). `logits` runs in eval mode (as the
official eval loop) and restores the mode afterwards.
Random init: the official initialisers under torch.manual_seed(0); no pretrained weights.

Import shims (same as Tests/Fixtures/methods/vpt/make_vpt_golden.py): `turtle` (an unused import in vit_backbones/vit.py)
and timm's moved `timm.models.layers.helpers.to_2tuple` (imported by the unused MoCo backbones).

Uses the package name `src`, as ChengHan111/E2VPT does (Benchmarks/official/e2vpt.py): import one of them per process.
"""
import os
import subprocess
import sys
import types
import warnings

import torch

REPO = "KMnP/vpt"
# The commit this file was written against; the checkout's own commit is recorded when it can be found.
PINNED_COMMIT = "4410440ec1b489f24f66b9fad3d9b10ff3443567"
SRC = os.environ["VPT_SRC"]


def _commit():
    """VPT_COMMIT, else `git rev-parse HEAD` of the checkout, else of VPT_GIT / the local mirror, else the pin."""
    if os.environ.get("VPT_COMMIT"):
        return os.environ["VPT_COMMIT"]
    for args in (["-C", SRC], ["--git-dir", os.environ.get("VPT_GIT", "/work/.mirror/KMnP+vpt/repo")]):
        try:
            out = subprocess.run(["git", *args, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if len(out) == 40:
            if out != PINNED_COMMIT:
                warnings.warn(f"{REPO} checkout is at {out}, this file was written against {PINNED_COMMIT}")
            return out
    return PINNED_COMMIT


def _import_official():
    if "src" in sys.modules and not os.path.realpath(getattr(sys.modules["src"], "__file__", "") or "").startswith(
            os.path.realpath(SRC)):
        raise RuntimeError("another checkout's `src` package is already imported; run each official module in its own process")
    if SRC not in sys.path:
        sys.path.insert(0, SRC)
    sys.modules.setdefault("turtle", types.SimpleNamespace(forward=None))  # `from turtle import forward` (unused)
    import timm.layers
    sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from src.configs.config import get_cfg
        from src.models import vit_models
        from src.solver.losses import build_loss
    return get_cfg, vit_models, build_loss


def build(batch: int, classes: int) -> dict:
    get_cfg, vit_models, build_loss = _import_official()
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = "end2end"
    cfg.MODEL.TYPE = "vit"
    cfg.MODEL.MLP_NUM = 0
    cfg.DATA.FEATURE = "sup_vitb16_224"
    cfg.DATA.CROPSIZE = 224
    cfg.DATA.NUMBER_CLASSES = classes
    cfg.SOLVER.LOSS = "softmax"
    torch.manual_seed(0)
    model = vit_models.ViT(cfg, load_pretrain=False).float().cpu()
    model.train()  # Trainer.train_classifier; "end2end" leaves the encoder in train mode (dropout 0.1 on)

    criterion = build_loss(cfg)
    cls_weights = [1.0] * classes  # get_class_weights("none")

    def loss(x, y):
        # Trainer.forward_one_batch(x, y, is_train=True): outputs = model(x); loss = cls_criterion(outputs, y, w)
        return criterion(model(x), y, cls_weights)

    def logits(x):
        was = model.training
        model.eval()
        try:
            return model(x)
        finally:
            model.train(was)

    g = torch.Generator().manual_seed(0)
    return {
        "params": [p for p in model.parameters() if p.requires_grad],
        "loss": loss,
        "logits": logits,
        "input": torch.randn(batch, 3, 224, 224, generator=g),
        "labels": torch.arange(batch) % classes,
        "source": {"repo": REPO, "commit": _commit()},
    }
