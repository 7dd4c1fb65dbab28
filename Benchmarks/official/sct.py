"""SCT (sct_attn) train step with showlab/SCT's own ViT, for timing against `bench throughput --methods sct`.

Dev-time only (torch + timm 0.6.5 as SCT's requirements.txt pins it, e.g. /work/venv-ssf; no GPU): the checkout is named by
SCT_SRC (a plain tree, e.g. `git --git-dir=/work/.mirror/showlab+SCT/repo archive HEAD | tar -x -C /work/src/SCT`).
Nothing of the official code is copied; this file only imports from the checkout:
  * `models.vision_transformer_sct.VisionTransformer_sct` as `vit_base_patch16_224_in21k_sct` builds it (patch 16, dim 768,
    depth 12, heads 12) with run_model_sct.sh's settings (tuning_mode sct_attn, topN 96, --dpr 0.1), then
    `reset_classifier(classes)` (train_model_sct.py:234);
  * trainable as train_model_sct.py:242-248 decides (names with sct_attn or head; the rule is inline in its __main__).
The salient channels are a fixed pseudo-random choice of 96 per block: the step's cost does not depend on which
channels (the official selection pass over the training set runs once before training and is not part of the step).
Loss: timm LabelSmoothingCrossEntropy(0.1) (configs/model_sct/vtab/*.yaml labelsmoothing 0.1 for most tasks).
Mode: `model.train()` (train_model_sct.py:117), so drop-path acts. Random init under torch.manual_seed(0).
"""
import functools

import numpy as np
import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("SCT", "showlab/SCT", "384cecb572c907022a35d2afd19a659412c12c0f")


@functools.cache
def _import_official():
    with checkout.official_imports(SRC, ["models"], {}):
        from models.vision_transformer_sct import VisionTransformer_sct
    return VisionTransformer_sct


def build(batch: int, classes: int) -> dict:
    VisionTransformer_sct = _import_official()
    from timm.loss import LabelSmoothingCrossEntropy

    rng = np.random.default_rng(0)
    index = [np.sort(rng.permutation(768)[:96]) for _ in range(12)]
    torch.manual_seed(0)
    model = VisionTransformer_sct(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=True,
                                  drop_path_rate=0.1, tuning_mode="sct_attn", channel_index_dict={"index": index}, topN=96,
                                  scale=1.0, scaleonx=False)
    model.reset_classifier(classes)
    params = []
    for n, p in model.named_parameters():
        p.requires_grad = any(s in n for s in ("q_l", "k_l", "v_l", "sct_attn", "sct_mlp", "head"))
        if p.requires_grad:
            params.append(p)
    model.train()
    criterion = LabelSmoothingCrossEntropy(smoothing=0.1)

    def loss(x, y):
        return criterion(model(x), y)

    def logits(x):
        model.eval()
        try:
            return model(x)
        finally:
            model.train()

    g = torch.Generator().manual_seed(0)
    return {"params": params, "loss": loss, "logits": logits,
            "input": torch.randn(batch, 3, 224, 224, generator=g),
            "labels": torch.arange(batch) % classes, "source": dict(SOURCE)}
