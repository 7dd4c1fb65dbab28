"""What e2vpt.py and full.py share: ChengHan111/E2VPT is a fork of KMnP/vpt, so both build their model the same way,
from the checkout's `src` package (`get_cfg`, `src.models.vit_models.ViT`, `src.solver.losses.build_loss`), and time the
step `Trainer.forward_one_batch` runs. Only the transfer type, a few config keys and import stubs differ.

Dev-time only. Nothing here comes from an official repository; the official modules are imported from the checkout.
Both use the package name `src`: import one of them per process.
"""
import contextlib
import io
import os
import sys
import types
import warnings

import torch


def import_official(src, stubs=None):
    """(get_cfg, vit_models, build_loss) from the checkout `src`. Stubs common to both: `turtle` (an unused import) and
    timm's moved `timm.models.layers.helpers.to_2tuple` (imported by the unused MoCo backbones); `stubs` adds more."""
    loaded = sys.modules.get("src")
    if loaded is not None and not os.path.realpath(getattr(loaded, "__file__", "") or "").startswith(os.path.realpath(src)):
        raise RuntimeError("another checkout's `src` package is already imported; run each official module in its own process")
    if src not in sys.path:
        sys.path.insert(0, src)
    sys.modules.setdefault("turtle", types.SimpleNamespace(forward=None))  # `from turtle import forward` (unused)
    import timm.layers
    sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))
    for name, module in (stubs or {}).items():
        sys.modules.setdefault(name, module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from src.configs.config import get_cfg
        from src.models import vit_models
        from src.solver.losses import build_loss
    return get_cfg, vit_models, build_loss


def build(official, source, transfer_type, batch, classes, config=None):
    """The timing dict for `transfer_type` on ViT-B/16 (sup_vitb16_224, random init under torch.manual_seed(0)).
    `config` sets further cfg keys ("MODEL.MLP_NUM": 0). The model is in `model.train()` as `Trainer.train_classifier`
    sets it (the transfer type decides what that leaves in train mode); `logits` runs in eval mode and restores it."""
    get_cfg, vit_models, build_loss = official
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = transfer_type
    cfg.MODEL.TYPE = "vit"
    cfg.DATA.FEATURE = "sup_vitb16_224"
    cfg.DATA.CROPSIZE = 224
    cfg.DATA.NUMBER_CLASSES = classes
    cfg.SOLVER.LOSS = "softmax"
    for key, value in (config or {}).items():
        node = cfg
        *path, last = key.split(".")
        for p in path:
            node = getattr(node, p)
        setattr(node, last, value)
    torch.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):  # the constructors print a line per parameter
        model = vit_models.ViT(cfg, load_pretrain=False)
    model = model.float().cpu()
    model.train()

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
        "source": dict(source),
    }
