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

Shared with full.py (the same codebase): Benchmarks/official/vpt_codebase.py. Uses the package name `src`: one of the two per process.
"""
import functools
import sys
import types

import torch

import checkout  # Benchmarks/official/checkout.py
import vpt_codebase

SRC, SOURCE = checkout.source("E2VPT", "ChengHan111/E2VPT", "7a66e75eef6b7e15df83463d31b60eba5938d208")


@functools.cache
def _import_official():
    import timm.models
    # A patched timm module the authors kept in their environment, needed only by the unused MAE/MoCo backbones.
    placeholder = types.ModuleType("timm.models.vision_transformer_changeVK")
    placeholder.VisionTransformer_changeVK = torch.nn.Module
    placeholder._cfg = lambda *a, **k: {}
    if "timm.models.vision_transformer_changeVK" not in sys.modules:
        timm.models.vision_transformer_changeVK = placeholder
    return vpt_codebase.import_official(SRC, {"timm.models.vision_transformer_changeVK": placeholder})


def build(batch: int, classes: int) -> dict:
    # P_VK: the prompted transformer keeps encoder + embeddings in eval under model.train(); masks and prompts train.
    return vpt_codebase.build(_import_official(), SOURCE, "P_VK", batch, classes)
