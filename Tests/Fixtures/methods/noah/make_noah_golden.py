#!/usr/bin/env python3
"""Golden files for NOAH's subnet retraining, made with the official supernet at a tiny size.

    NOAH_SRC=/work/src/h23lv-NOAH NOAH_COMMIT=e9c55f3... /work/venv-torch/bin/python make_noah_golden.py

NOAH_SRC: a checkout of ZhangYuanhan-AI/NOAH. The script imports `model.supernet_vision_transformer_timm.VisionTransformer`,
builds the supernet (SUPERNET dims 6 for prompts, LoRA and adapter, prefix 0), calls `reset_classifier` as
`supernet_train_prompt.py:334-335` does and `set_sample_config` with a fixed per-block subnet (as retrain mode does
with the yaml's RETRAIN block, supernet_engine_prompt.py:84-87). Nothing of the official code is copied here.
Weights: the official construction with torch.manual_seed(0), then norms, biases, embeddings and the LoRA_b / adapter
weights re-randomised so every term is exercised. Eval mode (prompt, LoRA and adapter dropout and drop-path off: their
masks cannot be shared across frameworks). Loss: cross-entropy (the retrain script passes --smoothing=0).

The subnet uses only a slice of each super tensor; the files hold those slices under the official names (what the
subnet can train), without the model-level `visual_prompt_token` / `visual_prompt_token_pos_embed`, which block 0
always cuts (the script checks that their gradients are exactly zero, and that every unused slice's gradient is zero).
Outputs: noah.safetensors, noah_io.safetensors (x, labels, logits, loss, grad/<name>); meta.json: commit, the subnet,
trainable = the subnet's live count, official_requires_grad_count = what the official optimiser holds.
"""
import collections.abc, json, math, os, subprocess, sys, types

import torch
from safetensors.torch import save_file
import timm.models.registry

timm.models.registry.register_model = lambda fn: fn  # timm 1.x rejects the file's old cfg keys; registration unused

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, SUPER = 32, 8, 32, 3, 4, 2.0, 5, 3, 6
SUBNET = {"visual_prompt_dim": [3, 5, 2], "lora_dim": [4, 0, 2], "adapter_dim": [2, 5, 0], "prefix_dim": [0, 0, 0]}


def commit(src):
    try:
        return subprocess.check_output(["git", "-C", src, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return os.environ.get("NOAH_COMMIT", "unknown (archive checkout)")


def live_slice(name, t):
    """The part of super tensor `name` the subnet uses (set_sample_config's slices), or t itself."""
    parts = name.split(".")
    if parts[0] != "blocks":
        return t
    i = int(parts[1])
    p, r, a = SUBNET["visual_prompt_dim"][i], SUBNET["lora_dim"][i], SUBNET["adapter_dim"][i]
    if name.endswith("visual_prompt_token"):
        return t[:, :p] if p else None
    if name.endswith("LoRA_a.weight"):
        return t[:r] if r else None
    if name.endswith("LoRA_b.weight"):
        return t[:, :r] if r else None
    if "adapter.ln1" in name:
        return t[:a] if a else None
    if "adapter.ln2.weight" in name:
        return t[:, :a] if a else None
    if "adapter.ln2.bias" in name:
        return t if a else None
    return t


def main():
    src = os.environ["NOAH_SRC"]
    sys.path.insert(0, src)
    sys.modules.setdefault("torch._six", types.SimpleNamespace(container_abcs=collections.abc, string_classes=str,
                                                               int_classes=int, inf=math.inf))
    from model.supernet_vision_transformer_timm import VisionTransformer
    torch.manual_seed(0)
    m = VisionTransformer(img_size=IMG, patch_size=PATCH, num_classes=CLASSES, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                          mlp_ratio=MLP_RATIO, qkv_bias=True, drop_path_rate=0.1, super_prompt_tuning_dim=SUPER,
                          super_LoRA_dim=SUPER, super_adapter_dim=SUPER, super_prefix_dim=0, drop_rate_LoRA=0.1,
                          drop_rate_prompt=0.1, drop_rate_adapter=0.1)
    m.reset_classifier(CLASSES)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if n.endswith("bias") or "norm" in n or n in ("cls_token", "pos_embed"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if "norm" in n and n.endswith("weight") else 0.0))
            elif "LoRA_b" in n or "adapter" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    official = sum(p.numel() for p in m.parameters() if p.requires_grad)
    m.set_sample_config(SUBNET)
    m.eval()
    torch.manual_seed(5)
    x = torch.randn(BATCH, 3, IMG, IMG)
    labels = torch.tensor([1, 4, 0])
    logits = m(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    weights, io, count = {}, {"x": x, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}, 0
    for n, t in m.state_dict().items():
        # `sampled_bias_1 = ln2.bias` (adapter_super.py:56) registers the same Parameter under a second name: skip it.
        if n.startswith("visual_prompt_token") or "sampled_" in n or not t.is_floating_point() or t.numel() == 0:
            continue
        s = live_slice(n, t)
        if s is not None:
            weights[n] = s.detach().contiguous()
    for n, p in m.named_parameters(remove_duplicate=False):
        if not p.requires_grad or "sampled_" in n:
            continue
        grad = p.grad if p.grad is not None else torch.zeros_like(p)
        s = live_slice(n, grad)
        if n.startswith("visual_prompt_token") or s is None:
            assert grad.abs().max() == 0, n + ": a tensor outside the subnet has a gradient"
            continue
        full = grad.clone()
        # every element outside the live slice has zero gradient
        mask = torch.ones_like(full, dtype=torch.bool)
        live_slice(n, mask).fill_(False)
        assert full[mask].abs().max().item() == 0 if mask.any() else True, n
        io["grad/" + n] = s.detach().contiguous().clone()
        count += s.numel()
    save_file(weights, os.path.join(OUT, "noah.safetensors"))
    save_file(io, os.path.join(OUT, "noah_io.safetensors"))
    meta = {"commit": commit(src), "subnet": SUBNET, "supernet_dims": SUPER, "trainable": count,
            "official_requires_grad_count": official,
            "shape": {"img": IMG, "patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_ratio": MLP_RATIO,
                      "classes": CLASSES}, "torch": torch.__version__}
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
