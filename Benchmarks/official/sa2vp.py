"""SA²VP train step with the OFFICIAL PyTorch code, for comparison with `bench throughput --methods sa2vp`.

Dev-time only (needs torch, timm, einops, ml_collections, scipy):

    SA2VP_SRC=/tmp/src-sa2vp /work/venv-torch/bin/python -c \
        'import sys; sys.path.insert(0, "Benchmarks/official"); import sa2vp; d = sa2vp.build(2, 100)'

SA2VP_SRC is a plain checkout of tommy-xq/SA2VP at SOURCE["commit"]. Nothing of it is copied here: we import
`vit_train_sa2vp.Dual_model` (vit_train_sa2vp.py:44-74; its ViT is `vpt_main/src/models/vit_backbones/vit_tinypara.py`,
the ViT-B/16 SA²VP model) and `engine_for_train.train_class_batch` (engine_for_train.py:24-27), and run
`Dual_model.__init__` itself, with only its checkpoint read (`np.load(...npz)` + `VisionTransformer.load_from`)
turned into a no-op, so the model is randomly initialised at full size (224 px, 12 layers, width 768).

The official code hard-codes our SA2VPConfig defaults (vit_tinypara.py): inner_dim = inter_dim = 16 (:333, :428),
add_scale 0.1 (:427), prompt_list [4, 8] and b2p_list [0, 4, 8] (:460-462), dropout_rate 0.1 (vit_configs.py:35).
The only other thing done here: `Cross_Block.load_from` would fill each `cross_attn.{i}` q/k/v/out and attention_norm
from the same checkpoint tensors as block i; with no checkpoint we copy block i's random weights into them, so the
cross-attention uses block i's weights as in the official run (and as our Swift SA2VP does by construction).

Train step = `train_class_batch(model, x, y, CrossEntropyLoss())`: 0.8·CE(image head) + 0.2·CE(prompt head), with the
model in train mode (`train_one_epoch` calls `model.train(True)`: every dropout active, as our backboneTrainMode).
Criterion: nn.CrossEntropyLoss (vit_train_sa2vp.py:421-427 with the default --mixup 0 --smoothing 0).
Logits: `evaluate` (engine_for_train.py:155-180) runs `model.eval()` and reads the image head only; the callable does
the same and puts the model back in train mode.
"""
import functools
import types

import torch
import torch.nn as nn

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("SA2VP", "tommy-xq/SA2VP", "35674e745809ad6aa05b4e63f3d422ba7149f817")
IMAGE_SIZE = 224


@functools.cache
def _import_official():
    """The official modules, imported once."""
    stubs = {
        # vit_tinypara.py imports `from turtle import forward` (unused); torch._six is gone from torch 2 (utils.py
        # imports `inf` from it); tensorboardX is logging only; optim_factory / datasets are training-script imports
        # the model does not use (timm-0.4 optimisers, data paths).
        "turtle": checkout.stub("turtle", forward=None),
        "torch._six": checkout.stub("torch._six", inf=float("inf")),
        "tensorboardX": checkout.stub("tensorboardX", SummaryWriter=None),
        "optim_factory": checkout.stub("optim_factory", create_optimizer=None, get_parameter_groups=None,
                               LayerDecayValueAssigner=None),
        "datasets": checkout.stub("datasets", build_dataset=None, build_beit_pretraining_dataset=None,
                          build_beit_pretraining_dataset_val=None),
    }
    names = ["vpt_main", "vit_train_sa2vp", "engine_for_train", "utils", "dataset_folder", "transforms", *stubs]
    with checkout.official_imports(SRC, names, stubs):
        import vit_train_sa2vp as T
        import engine_for_train as E
    return T, E


def build(batch: int, classes: int) -> dict:
    T, E = _import_official()
    torch.manual_seed(0)
    # Dual_model.__init__ as is, minus its checkpoint file: `np.load(path)` → None, `load_from(None)` → no-op.
    vit_cls = T.VisionTransformer
    real_np, real_load_from = T.np, vit_cls.load_from
    T.np = types.SimpleNamespace(load=lambda *a, **k: None)
    vit_cls.load_from = lambda self, weights: None
    try:
        model = T.Dual_model(types.SimpleNamespace(nb_classes=classes))
    finally:
        T.np, vit_cls.load_from = real_np, real_load_from
    enc = model.vit_base.transformer.encoder
    with torch.no_grad():  # what Cross_Block.load_from does with the checkpoint: copies of block i's attention
        for i, cb in enumerate(enc.cross_attn):
            blk = enc.layer[i]
            for dst, srcm in ((cb.attn.to_q, blk.attn.query), (cb.attn.to_k, blk.attn.key),
                              (cb.attn.to_v, blk.attn.value), (cb.attn.to_out, blk.attn.out),
                              (cb.attention_norm, blk.attention_norm)):
                dst.weight.copy_(srcm.weight)
                dst.bias.copy_(srcm.bias)
    model.train(True)  # train_one_epoch (engine_for_train.py:41)
    criterion = nn.CrossEntropyLoss()
    params = [p for p in model.parameters() if p.requires_grad]  # create_optimizer's groups: requires_grad params

    def loss(x, y):
        value, _ = E.train_class_batch(model, x, y, criterion)
        return value

    def logits(x):
        model.eval()  # evaluate (engine_for_train.py:163)
        try:
            out, _ = model(x)
        finally:
            model.train(True)
        return out

    g = torch.Generator().manual_seed(0)
    return {"params": params, "loss": loss, "logits": logits,
            "input": torch.randn(batch, 3, IMAGE_SIZE, IMAGE_SIZE, generator=g),
            "labels": torch.arange(batch) % classes, "source": dict(SOURCE)}
