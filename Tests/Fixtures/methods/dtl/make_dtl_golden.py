#!/usr/bin/env python3
"""Golden files for DTL, made with heekhero/DTL's own ViT (`models/vision_transformer.py`) at a tiny size.

    DTL_SRC=/work/src/DTL DTL_COMMIT=bf6c51e679d7d2244f4c8337cb68a85b54e7c37a /work/venv-torch/bin/python make_dtl_golden.py

DTL_SRC is a checkout of heekhero/DTL (`git archive HEAD | tar -x`; DTL_COMMIT names its commit when it has no .git).
Nothing of the official code is copied here: the script imports `models.vision_transformer.VisionTransformer` and takes
`mark_trainable_parameters` out of `train_vit_vtab.py` by compiling only that function's definition (the module itself
parses arguments and creates log folders at import). Its model check (`model_type == 'vit_base_patch16_224_in21k'`)
is passed that name. The weight-decay grouping (train_vit_vtab.py:178-192: no decay on names ending in '.bias') is
inline in `main()`; meta.json records the groups this rule gives.

Weights: the official construction with torch.manual_seed(0) (lora_A kaiming-uniform, lora_B zero, head trunc-normal),
then lora_B, the backbone's embeddings, norms and biases re-randomised so every term (and lora_A's gradient, zero
while lora_B = 0) is exercised. Eval mode (drop-path off: masks cannot be shared across frameworks). Loss: cross-entropy
(the VTAB scripts pass no --smoothing/--mixup: train_vit_vtab.py:262 nn.CrossEntropyLoss).

Cases: `dtl` (beta 100 as in every VTAB script, CSN on blocks 0-2, added after 1-2) and `dtl_beta1` (beta 1, CSN on
block 1-2, added after 2) so the swish is exercised off saturation and a partial block range too.
Outputs per case: <case>.safetensors (all tensors, official names) and <case>_io.safetensors (x, labels, logits, loss,
grad/<name> for every tensor the official freezing leaves trainable). meta.json records the commit and counts.
"""
import ast, json, os, subprocess, sys, types

import torch
from safetensors.torch import save_file
import timm.models.registry

# The model file registers its ViT variants with timm at import; timm 1.x rejects the old pretrained-cfg keys.
# Registration is irrelevant here (the class is built directly), so it is a no-op.
timm.models.registry.register_model = lambda fn: fn

SRC = os.environ["DTL_SRC"]
sys.path.insert(0, SRC)
from models.vision_transformer import VisionTransformer  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, RANK = 32, 8, 32, 3, 4, 2.0, 5, 3, 2


def commit():
    try:
        return subprocess.check_output(["git", "-C", SRC, "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL).strip()
    except Exception:
        return os.environ.get("DTL_COMMIT", "unknown (archive checkout)")


def official_freezing():
    """`mark_trainable_parameters` from train_vit_vtab.py, compiled on its own."""
    tree = ast.parse(open(os.path.join(SRC, "train_vit_vtab.py")).read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "mark_trainable_parameters")
    scope = {"nn": torch.nn}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "train_vit_vtab.py", "exec"), scope)
    return scope["mark_trainable_parameters"]


def build(beta, lora_blocks, add_blocks):
    torch.manual_seed(0)
    m = VisionTransformer(img_size=IMG, patch_size=PATCH, num_classes=CLASSES, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                          mlp_ratio=MLP_RATIO, qkv_bias=True, drop_path_rate=0.1, r=RANK, lora_before_blocks=lora_blocks,
                          add_after_blocks=add_blocks, beta=beta, fusion_size=0, log_file=os.devnull)
    official_freezing()(m, model_type="vit_base_patch16_224_in21k")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
            elif n.endswith("bias") or "norm" in n or n in ("cls_token", "pos_embed"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if "norm" in n and n.endswith("weight") else 0.0))
    return m


def run(name, m):
    m.eval()
    torch.manual_seed(5)
    x = torch.randn(BATCH, 3, IMG, IMG)
    labels = torch.tensor([1, 4, 0])
    logits = m(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    weights = {n: t.detach().contiguous() for n, t in m.state_dict().items() if t.numel() > 0 and t.is_floating_point()}
    save_file(weights, os.path.join(OUT, name + ".safetensors"))
    io = {"x": x, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    count, decay, no_decay = 0, [], []
    for n, p in m.named_parameters():
        if p.requires_grad:
            io["grad/" + n] = p.grad.detach().clone()
            count += p.numel()
            (no_decay if n.endswith(".bias") else decay).append(n)  # train_vit_vtab.py:184-189
    save_file(io, os.path.join(OUT, name + "_io.safetensors"))
    return {"trainable": count, "decay": decay, "no_decay": no_decay}


def vit_b16_count():
    """The official trainable count of the table's configuration on ViT-B/16 (backbone part, head excluded)."""
    torch.manual_seed(0)
    m = VisionTransformer(img_size=224, patch_size=16, num_classes=100, embed_dim=768, depth=12, num_heads=12, qkv_bias=True,
                          r=2, lora_before_blocks=[str(i) for i in range(12)], add_after_blocks=[str(i) for i in range(6, 12)],
                          beta=100.0, fusion_size=0, log_file=os.devnull)
    official_freezing()(m, model_type="vit_base_patch16_224_in21k")
    return sum(p.numel() for n, p in m.named_parameters() if p.requires_grad and "head" not in n)


if __name__ == "__main__":
    meta = {"commit": commit(), "torch": torch.__version__,
            "shape": {"img": IMG, "patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_ratio": MLP_RATIO,
                      "classes": CLASSES, "r": RANK},
            "dtl": run("dtl", build(100.0, ["0", "1", "2"], ["1", "2"])),
            "dtl_beta1": run("dtl_beta1", build(1.0, ["1", "2"], ["2"])),
            "vit_b16_backbone_trainable": vit_b16_count()}
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))
