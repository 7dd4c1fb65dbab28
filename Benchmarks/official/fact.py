"""FacT-TK train step with JieShibo/PETL-ViT's own `FacT/fact_tk.py`, for timing against `bench throughput --methods fact`.

Dev-time only (torch + timm, no GPU): the checkout is named by FACT_SRC (a plain tree, e.g.
`git --git-dir=/work/.mirror/JieShibo+PETL-ViT/repo archive HEAD | tar -x -C /work/src/PETL-ViT`).
Nothing of the official code is copied; this file only imports `fact_tk` from the checkout's FacT/ folder and calls
`set_FacT(model, dim=32, s=0.1)` (the ViT-B/16 table variant's rank; ours: FacTConfig defaults) on timm's
vit_base_patch16_224 built as fact_tk.py:183 builds it (drop_path_rate 0.1), after `fact_tk.vit = model` (the official
forwards read that module global), then `reset_classifier(classes)` and the official freezing rule (names containing
'FacT' or 'head' train, fact_tk.py:195-201).
Mode: `model.train()` as fact_tk.py:22 sets it (factor dropout 0.1 and drop-path on, as ours in training). `logits` runs
in eval mode and restores the mode afterwards. Random init (torch.manual_seed(0)); no pretrained weights.

Import shims: the unused `avalanche` metrics import is stubbed; FacT targets timm 0.4.12 (FacT/README.md), so with a newer
timm `timm.models.layers.mlp` (the Mlp class set_FacT matches) is aliased to `timm.layers.mlp` and each Mlp gets the
0.4.12 attribute `drop` (its `drop1`, a Dropout(0)) that fact_forward_mlp calls.
Newer timm blocks call `attn(x, attn_mask=None, is_causal=False)`; the official attention forwards take x only, so each
replaced Attention.forward is wrapped to drop those keywords (Benchmarks/official/checkout.py drop_attn_mask).
"""
import functools
import sys

import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("FACT", "JieShibo/PETL-ViT", "026e4f12cfbe1e46bfb4d3ed5ba09f2d9f83e91e")


@functools.cache
def _import_official():
    import os
    import timm
    import timm.models.layers
    if not hasattr(timm.models.layers, "mlp"):
        import timm.layers.mlp
        timm.models.layers.mlp = timm.layers.mlp
        sys.modules.setdefault("timm.models.layers.mlp", timm.layers.mlp)
    acc = checkout.stub("avalanche.evaluation.metrics.accuracy", Accuracy=None)
    stubs = {"avalanche": checkout.stub("avalanche"), "avalanche.evaluation": checkout.stub("avalanche.evaluation"),
             "avalanche.evaluation.metrics": checkout.stub("avalanche.evaluation.metrics"),
             "avalanche.evaluation.metrics.accuracy": acc}
    with checkout.official_imports(os.path.join(SRC, "FacT"), ["fact_tk", "vtab", "avalanche"], stubs):
        import fact_tk
    return fact_tk


def build(batch: int, classes: int) -> dict:
    import timm
    fact_tk = _import_official()
    model = timm.create_model("vit_base_patch16_224", pretrained=False, drop_path_rate=0.1)
    fact_tk.vit = model
    fact_tk.set_FacT(model, dim=32, s=0.1)
    checkout.drop_attn_mask(model)
    for m in model.modules():
        if type(m).__name__ == "Mlp" and not hasattr(m, "drop"):
            m.drop = m.drop1
    model.reset_classifier(classes)
    params = []
    for n, p in model.named_parameters():
        if "FacT" in n or "head" in n:
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
