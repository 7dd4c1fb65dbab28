#!/usr/bin/env python3
"""Golden files for LoRA, made with the official model classes at a tiny size.

    NOAH_SRC=/work/src/h23lv-NOAH VPETL_SRC=/work/src/h23lv-vpetl /work/venv-torch/bin/python make_lora_golden.py

NOAH_SRC: a checkout of ZhangYuanhan-AI/NOAH (`git archive HEAD | tar -x`); the script imports
`model.supernet_vision_transformer_timm.VisionTransformer` (the supernet NOAH's LoRA baseline trains with `--is_LoRA`)
and activates LoRA only, as `supernet_engine_prompt.sample_configs(is_LoRA=True)` does (lora_dim = LORA_DIM in every
block, every other module 0).
VPETL_SRC: a checkout of synbol/Parameter-Efficient-Transfer-Learning-Benchmark; the script imports
`ImageClassification/models/vision_transformer_lora.VisionTransformer_lora` with tuning_mode 'lora', then
`reset_classifier` as `train/train_model_lora.py:157` does.
Nothing of the official code is copied here. Weights: the official construction with torch.manual_seed(0), then
norms, biases and embeddings re-randomised so every term is exercised. Eval mode (dropout, LoRA dropout and drop-path
off: their masks cannot be shared across frameworks). Loss: cross-entropy (NOAH's VTAB script passes --smoothing=0).

Outputs: <case>.safetensors (every tensor in official names) and <case>_io.safetensors (x, labels, logits, loss,
grad/<name> for every trainable tensor as the official freezing decides). meta.json records the commits.
"""
import json, os, subprocess, sys, types

import torch
from safetensors.torch import save_file
import timm.models.registry

# Both model files register their ViT variants with timm at import; timm 1.x rejects their old pretrained-cfg keys
# (`hf_hub`). Registration is irrelevant here (the classes are built directly), so it is a no-op.
timm.models.registry.register_model = lambda fn: fn

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, RANK = 32, 8, 32, 3, 4, 2.0, 5, 3, 4


def commit(src):
    try:
        return subprocess.check_output(["git", "-C", src, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return os.environ.get(os.path.basename(src).upper() + "_COMMIT", "unknown (archive checkout)")


def randomise(model):
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("bias") or "norm" in n or n in ("cls_token", "pos_embed"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if "norm" in n and n.endswith("weight") else 0.0))


def run(name, model, trainable):
    model.eval()
    torch.manual_seed(5)
    x = torch.randn(BATCH, 3, IMG, IMG)
    labels = torch.tensor([1, 4, 0])
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    weights = {n: t.detach().contiguous() for n, t in model.state_dict().items() if t.numel() > 0 and t.is_floating_point()}
    save_file(weights, os.path.join(OUT, name + ".safetensors"))
    io = {"x": x, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    count = 0
    for n, p in model.named_parameters():
        if p.requires_grad and p.numel() > 0 and trainable(n):
            io["grad/" + n] = p.grad.detach().clone()
            count += p.numel()
    save_file(io, os.path.join(OUT, name + "_io.safetensors"))
    return count


def noah():
    src = os.environ["NOAH_SRC"]
    sys.path.insert(0, src)
    # model/utils.py imports torch._six (removed from PyTorch 2): a compatibility stand-in with the names it used.
    import collections.abc, math
    sys.modules.setdefault("torch._six", types.SimpleNamespace(container_abcs=collections.abc, string_classes=str,
                                                               int_classes=int, inf=math.inf))
    from model.supernet_vision_transformer_timm import VisionTransformer
    torch.manual_seed(0)
    m = VisionTransformer(img_size=IMG, patch_size=PATCH, num_classes=CLASSES, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                          mlp_ratio=MLP_RATIO, qkv_bias=True, drop_path_rate=0.1, super_prompt_tuning_dim=0,
                          super_LoRA_dim=RANK, super_adapter_dim=0, super_prefix_dim=0, drop_rate_LoRA=0.1)
    m.reset_classifier(CLASSES)  # supernet_train_prompt.py:334-335
    m.set_sample_config({"visual_prompt_dim": [0] * DEPTH, "lora_dim": [RANK] * DEPTH, "adapter_dim": [0] * DEPTH,
                         "prefix_dim": [0] * DEPTH})
    randomise(m)
    # Trainable as the official optimiser sees them (requires_grad after freeze_stages; the new head trains).
    official = sum(p.numel() for p in m.parameters() if p.requires_grad)
    n = run("noah", m, lambda n: True)
    sys.path.remove(src)
    for k in [k for k in sys.modules if k == "model" or k.startswith("model.")]:
        del sys.modules[k]
    return {"commit": commit(src), "trainable": n, "official_requires_grad_count": official}


def vpetl():
    src = os.environ["VPETL_SRC"]
    sys.path.insert(0, os.path.join(src, "ImageClassification", "models"))
    import timm.layers
    sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))
    import vision_transformer_lora as vl
    torch.manual_seed(0)
    m = vl.VisionTransformer_lora(img_size=IMG, patch_size=PATCH, num_classes=CLASSES, embed_dim=DIM, depth=DEPTH,
                                  num_heads=HEADS, mlp_ratio=MLP_RATIO, qkv_bias=True, drop_path_rate=0.1,
                                  tuning_mode="lora", topN=RANK, insertlength=DEPTH)
    m.reset_classifier(CLASSES)
    trainable = lambda n: "linear_a" in n or "linear_b" in n or "head" in n  # train_model_lora.py:165-170
    for n, p in m.named_parameters():
        p.requires_grad = trainable(n)
    randomise(m)
    n = run("vpetl", m, trainable)
    return {"trainable": n}


if __name__ == "__main__":
    meta = {"noah": noah(), "v-petl": vpetl(),
            "shape": {"img": IMG, "patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_ratio": MLP_RATIO,
                      "classes": CLASSES, "rank": RANK},
            "torch": torch.__version__}
    meta["v-petl"]["commit"] = os.environ.get("VPETL_COMMIT", "unknown")
    meta["noah"]["commit"] = os.environ.get("NOAH_COMMIT", meta["noah"]["commit"])
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))
