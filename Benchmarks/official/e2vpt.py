"""E2VPT train step with ChengHan111/E2VPT's own model code, for timing against `bench throughput --methods e2vpt`.

Dev-time only (torch + timm + ml_collections + fvcore/yacs, no GPU): the checkout is named by E2VPT_SRC (a plain tree,
e.g. `git --git-dir=/work/.mirror/ChengHan111+E2VPT/repo archive HEAD | tar -x -C /tmp/src-ChengHan111+E2VPT`).
Nothing of the official code is copied; this file only imports from the checkout:
  * `src.configs.config.get_cfg` — the official defaults of MODEL.P_VK.* are exactly our E2VPTConfig defaults
    (NUM_TOKENS_P 5, NUM_TOKENS 5, DEEP_P, DEEP, DROPOUT_P 0, DROPOUT 0, LAYER_BEHIND, SHARE_PARAM_KV, ORIGIN_INIT 2,
    MASK_CLS_TOKEN / CLS_TOKEN_MASK / CLS_TOKEN_MASK_PIECES on, 16 pieces); only TRANSFER_TYPE "P_VK", the feature
    (sup_vitb16_224: ViT-B/16, 224 px) and NUMBER_CLASSES are set;
  * `src.models.vit_models.ViT(cfg, load_pretrain=False)` → `build_vit_sup_models` → `PromptedVisionTransformer_Prompt_VK`
    (src/models/vit_prompt/vit_prompt_VK.py) on `Transformer_changeVK` (src/models/vit_backbones/vit_changeVK.py),
    head `head.last_layer` (src/models/mlp.py). The P_VK freezing rule keeps trainable exactly the tensors whose names
    contain "QKV" or "prompt" (visual prompts, K/V prompts, and the token / piece masks, which train as in the
    pre-pruning phase, as ours do by default) plus the head;
  * `src.solver.losses.build_loss` — SoftmaxLoss with the class weights of DATA.CLASS_WEIGHTS_TYPE "none" (all 1), called
    as `Trainer.forward_one_batch` (src/engine/trainer.py) calls it.
Mode: `model.train()` as `Trainer.train_classifier` sets it; the official `PromptedTransformer_Prompt_VK.train` then
keeps the encoder and embeddings in eval mode (backbone dropout off) and only the prompt dropout in train mode.
`logits` runs in eval mode (as the official eval loop) and restores the mode afterwards.
Random init: the official initialisers under torch.manual_seed(0); no pretrained weights.

Import shims (same as Tests/Fixtures/methods/e2vpt/make_e2vpt_golden.py): `turtle` (an unused import), timm's moved
`timm.models.layers.helpers.to_2tuple`, and a placeholder for `timm.models.vision_transformer_changeVK` (a patched timm
module the authors kept in their environment, needed only by the MAE/MoCo backbones that are imported but unused).
The official constructors print a line per parameter; that output is swallowed.

Uses the package name `src`, as KMnP/vpt does (Benchmarks/official/full.py): import one of them per process.
"""
import contextlib
import io
import os
import subprocess
import sys
import types
import warnings

import torch

REPO = "ChengHan111/E2VPT"
# The commit this file was written against; the checkout's own commit is recorded when it can be found.
PINNED_COMMIT = "7a66e75eef6b7e15df83463d31b60eba5938d208"
SRC = os.environ["E2VPT_SRC"]


def _commit():
    """E2VPT_COMMIT, else `git rev-parse HEAD` of the checkout, else of E2VPT_GIT / the local mirror, else the pin."""
    if os.environ.get("E2VPT_COMMIT"):
        return os.environ["E2VPT_COMMIT"]
    for args in (["-C", SRC], ["--git-dir", os.environ.get("E2VPT_GIT", "/work/.mirror/ChengHan111+E2VPT/repo")]):
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
    import timm.models
    if "timm.models.vision_transformer_changeVK" not in sys.modules:
        placeholder = types.ModuleType("timm.models.vision_transformer_changeVK")
        placeholder.VisionTransformer_changeVK = torch.nn.Module
        placeholder._cfg = lambda *a, **k: {}
        sys.modules["timm.models.vision_transformer_changeVK"] = placeholder
        timm.models.vision_transformer_changeVK = placeholder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from src.configs.config import get_cfg
        from src.models import vit_models
        from src.solver.losses import build_loss
    return get_cfg, vit_models, build_loss


def build(batch: int, classes: int) -> dict:
    get_cfg, vit_models, build_loss = _import_official()
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = "P_VK"
    cfg.MODEL.TYPE = "vit"
    cfg.DATA.FEATURE = "sup_vitb16_224"
    cfg.DATA.CROPSIZE = 224
    cfg.DATA.NUMBER_CLASSES = classes
    cfg.SOLVER.LOSS = "softmax"
    torch.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):
        model = vit_models.ViT(cfg, load_pretrain=False)
    model = model.float().cpu()
    model.train()  # Trainer.train_classifier; the prompted transformer keeps encoder + embeddings in eval

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
