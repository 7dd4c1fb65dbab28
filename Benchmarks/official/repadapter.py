"""RepAdapter (repblock) train step with luogen1996/RepAdapter's own `repadapter.py`, for timing against
`bench throughput --methods repadapter`.

Dev-time only (torch + timm, no GPU): the checkout is named by REPADAPTER_SRC (a plain tree, e.g.
`git --git-dir=/work/.mirror/luogen1996+RepAdapter/repo archive HEAD | tar -x -C /work/src/RepAdapter`).
Nothing of the official code is copied; this file only imports `repadapter` from the checkout and calls
`set_RepAdapter(model, 'repblock', dim=8, s=1)` (scripts/train_repblock.sh's method and dim; ours: RepAdapterConfig
defaults) on timm's vit_base_patch16_224 built as train.py:95 builds it (drop_path_rate 0.1), then
`reset_classifier(classes)` and the official freezing rule (names containing 'adapter' or 'head' train, train.py:126-131).
Mode: `model.train()` as train.py:30 sets it (adapter dropout 0.1 and drop-path on, as ours in training). `logits` runs
the unmerged model in eval mode and restores the mode afterwards. Random init (torch.manual_seed(0)); no pretrained weights.
"""
import functools

import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("REPADAPTER", "luogen1996/RepAdapter", "360992fc2a36f069fd168754f14bc1986d869a8f")


@functools.cache
def _import_official():
    with checkout.official_imports(SRC, ["repadapter"]):
        import repadapter
    return repadapter


def build(batch: int, classes: int) -> dict:
    import timm
    repadapter = _import_official()
    model = timm.create_model("vit_base_patch16_224", pretrained=False, drop_path_rate=0.1)
    repadapter.set_RepAdapter(model, "repblock", dim=8, s=1)
    model.reset_classifier(classes)
    params = []
    for n, p in model.named_parameters():
        if "adapter" in n or "head" in n:
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
