"""Hydra (hydra_both) train step with extremebird/Hydra's own `vtab1k/hydra.py`, for timing against
`bench throughput --methods hydra`.

Dev-time only (torch + timm, no GPU): the checkout is named by HYDRA_SRC (a plain tree, e.g.
`git --git-dir=/work/.mirror/extremebird+Hydra/repo archive HEAD | tar -x -C /work/src/Hydra`).
Nothing of the official code is copied; this file only imports `hydra` from the checkout's vtab1k/ folder and calls
`set_hydra(model, 'hydra_both', {'scale': 0.1, 'dropout': 0.2}, dim=2)` (scripts/train_hydra.sh's dim, the cifar config's
scale and dropout; ours: HydraConfig defaults) on timm's vit_base_patch16_224 built as train.py:76 builds it
(drop_path_rate 0.1), then `reset_classifier(classes)` and the official freezing rule (names containing 'hydra',
'head' or 'scale' train, train.py:105-110).
Mode: `model.train()` as train.py:15 sets it (branch dropout 0.2 and drop-path on, as ours in training). `logits` runs
the unmerged model in eval mode and restores the mode afterwards. Random init (torch.manual_seed(0)); no pretrained weights.
The official code pins timm 0.9.2; its forwards use attributes (q_norm, k_norm, head_dim, fused_attn, drop1/drop2)
that later timm versions keep.
Newer timm blocks call `attn(x, attn_mask=None, is_causal=False)`; the official attention forwards take x only, so each
replaced Attention.forward is wrapped to drop those keywords (Benchmarks/official/checkout.py drop_attn_mask).
"""
import functools
import os

import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("HYDRA", "extremebird/Hydra", "4138457859666d49b9ca9e45473d8570586670bb")


@functools.cache
def _import_official():
    with checkout.official_imports(os.path.join(SRC, "vtab1k"), ["hydra"]):
        import hydra
    return hydra


def build(batch: int, classes: int) -> dict:
    import timm
    hydra = _import_official()
    model = timm.create_model("vit_base_patch16_224", pretrained=False, drop_path_rate=0.1)
    hydra.set_hydra(model, "hydra_both", {"scale": 0.1, "dropout": 0.2}, dim=2)
    checkout.drop_attn_mask(model)
    model.reset_classifier(classes)
    params = []
    for n, p in model.named_parameters():
        if "hydra" in n or "head" in n or "scale" in n:
            params.append(p)
        else:
            p.requires_grad = False
    model.train()

    def logits(x):
        model.eval()
        try:
            return model(x)
        finally:
            model.train()

    return {"input": torch.randn(batch, 3, 224, 224), "labels": torch.arange(batch) % classes, "params": params,
            "loss": lambda x, y: torch.nn.functional.cross_entropy(model(x), y), "logits": logits, "source": SOURCE}
