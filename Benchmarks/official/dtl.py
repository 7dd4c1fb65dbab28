"""DTL train step with heekhero/DTL's own ViT, for timing against `bench throughput --methods dtl`.

Dev-time only (torch + timm, no GPU): the checkout is named by DTL_SRC (a plain tree, e.g.
`git --git-dir=/work/.mirror/heekhero+DTL/repo archive HEAD | tar -x -C /work/src/DTL`).
Nothing of the official code is copied; this file only imports from the checkout:
  * `models.vision_transformer.VisionTransformer` built as `vit_base_patch16_224_in21k` is (patch 16, dim 768, depth 12,
    heads 12, qkv_bias) with the VTAB scripts' DTL settings (train_scripts/vit/vtab/*/train_dtl.sh: r 2, beta 100,
    lora_before_blocks 0-11, add_after_blocks 6-11, fusion_size 0) and drop_path 0.1 (the most common script value);
  * `mark_trainable_parameters` from train_vit_vtab.py, compiled on its own (the script parses arguments at import):
    only `lora_*` and the head train;
  * the loss of train_vit_vtab.py:262 (nn.CrossEntropyLoss; no mixup/smoothing in the scripts).
Mode: `model.train()` (train_one_epoch), so drop-path acts during the step, as in ours (the recipe's drop_path).
The official scripts run with --amp; the timing is fp32 on both sides. Random init under torch.manual_seed(0).
Import shim: timm's `register_model` is made a no-op (the file registers variants whose old pretrained-cfg keys timm
1.x rejects; the class is built directly).
"""
import ast
import functools
import os

import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("DTL", "heekhero/DTL", "bf6c51e679d7d2244f4c8337cb68a85b54e7c37a")


@functools.cache
def _import_official():
    import timm.models.registry
    timm.models.registry.register_model = lambda fn: fn
    with checkout.official_imports(SRC, ["models", "utils", "data"], {}):
        from models.vision_transformer import VisionTransformer
    tree = ast.parse(open(os.path.join(SRC, "train_vit_vtab.py")).read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "mark_trainable_parameters")
    scope = {"nn": torch.nn}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "train_vit_vtab.py", "exec"), scope)
    return VisionTransformer, scope["mark_trainable_parameters"]


def build(batch: int, classes: int) -> dict:
    VisionTransformer, mark_trainable_parameters = _import_official()
    torch.manual_seed(0)
    model = VisionTransformer(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=True,
                              num_classes=classes, drop_path_rate=0.1, r=2, beta=100.0, fusion_size=0,
                              lora_before_blocks=[str(i) for i in range(12)],
                              add_after_blocks=[str(i) for i in range(6, 12)], log_file=os.devnull)
    mark_trainable_parameters(model, model_type="vit_base_patch16_224_in21k")
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    criterion = torch.nn.CrossEntropyLoss()

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
