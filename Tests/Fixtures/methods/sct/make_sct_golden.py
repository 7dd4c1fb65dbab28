#!/usr/bin/env python3
"""Golden files for SCT (`sct_attn`), made with showlab/SCT's own code at a tiny size.

    SCT_SRC=/work/src/SCT SCT_COMMIT=384cecb572c907022a35d2afd19a659412c12c0f /work/venv-ssf/bin/python make_sct_golden.py

SCT_SRC is a checkout of showlab/SCT (`git archive HEAD | tar -x`; SCT_COMMIT names its commit when it has no .git). The
official code targets timm 0.6.5 (requirements.txt); /work/venv-ssf is a venv with timm==0.6.5 over the shared torch.
Nothing of the official code is copied here:
  * `getSalientChannels` is taken out of train_model_sct.py by compiling only that function's definition (the module
    imports `avalanche` and a `logger` module the repository does not ship). It calls timm's `create_model(model_name,
    checkpoint_path=...)`: the script registers a tiny timm VisionTransformer under its own name and gives it a .pth of
    the tiny backbone, so the official loading path runs. Its `.cuda()` calls are made no-ops (CPU only).
  * `models.vision_transformer_sct.VisionTransformer_sct` with tuning_mode 'sct_attn', the selection above as
    `channel_index_dict`, the tiny backbone loaded (strict=False: the adapters are not in it), then
    `reset_classifier(classes)` as train_model_sct.py:234 does. Trainable: the rule of train_model_sct.py:242-248
    (names with q_l/k_l/v_l/sct_attn/sct_mlp/head), which is inline in its `__main__`.

Weights: the tiny backbone under torch.manual_seed(0) with norms, biases and embeddings re-randomised; the adapters
re-drawn wider (std 0.3) so their effect is visible. Calibration set: 4 classes (one with a single image, the official
`idx_l[i].shape == ()` branch), 31 images in batches of 10 (the last one short). Eval mode for the logits/gradients
(drop-path off). Loss: plain cross-entropy (the probe's loss; the runs' label smoothing 0.1 of configs/model_sct/vtab/*.yaml,
timm LabelSmoothingCrossEntropy at train_model_sct.py:264-266, is the trainer's `label_smoothing`, not the method's).

Outputs: sct.safetensors (all tensors in official names, plus `blocks.{i}.sct_attn.channel_index`, the official model's
plain attribute, as floats), sct_io.safetensors (x, labels, logits, loss, grad/<name>), sct_calib.safetensors (the
calibration images and labels, `index/<i>` = getSalientChannels' selection per block); meta.json the commit and counts.
"""
import ast, json, os, subprocess, sys, tempfile

import numpy as np
import torch
from safetensors.torch import save_file
import timm
from timm.models.registry import register_model
from timm.models.vision_transformer import VisionTransformer

SRC = os.environ["SCT_SRC"]
sys.path.insert(0, SRC)
from models.vision_transformer_sct import VisionTransformer_sct  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, TOPN = 32, 8, 32, 3, 4, 2.0, 5, 3, 8


def commit():
    try:
        return subprocess.check_output(["git", "-C", SRC, "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL).strip()
    except Exception:
        return os.environ.get("SCT_COMMIT", "unknown (archive checkout)")


def official_function(name):
    tree = ast.parse(open(os.path.join(SRC, "train_model_sct.py")).read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    scope = {"torch": torch, "np": np, "create_model": timm.models.create_model}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "train_model_sct.py", "exec"), scope)
    return scope[name]


@register_model
def sct_golden_tiny_vit(pretrained=False, **kw):
    kw.pop("pretrained_cfg", None)
    return VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                             mlp_ratio=MLP_RATIO, qkv_bias=True, num_classes=0, **kw)


def backbone():
    torch.manual_seed(0)
    m = sct_golden_tiny_vit()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if n.endswith("bias") or "norm" in n or n in ("cls_token", "pos_embed"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if "norm" in n and n.endswith("weight") else 0.0))
    return m


if __name__ == "__main__":
    torch.nn.Module.cuda = lambda self, *a, **k: self  # CPU only: the official calibration moves model and images to GPU
    torch.Tensor.cuda = lambda self, *a, **k: self
    base = backbone()
    ckpt = os.path.join(tempfile.mkdtemp(), "tiny_backbone.pth")
    torch.save(base.state_dict(), ckpt)

    g = torch.Generator().manual_seed(2)
    calib_x = torch.randn(31, 3, IMG, IMG, generator=g)
    calib_y = torch.tensor([0] * 10 + [1] * 12 + [2] * 8 + [3])[torch.randperm(31, generator=g)]
    batches = [(calib_x[i:i + 10], calib_y[i:i + 10]) for i in range(0, 31, 10)]
    sel = official_function("getSalientChannels")("sct_golden_tiny_vit", ckpt, batches, TOPN, DIM, DEPTH, "sct_attn")
    index = [np.asarray(i).reshape(-1) for i in sel["index"]]
    assert all(len(i) == TOPN for i in index), index

    torch.manual_seed(0)
    m = VisionTransformer_sct(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS, mlp_ratio=MLP_RATIO,
                              qkv_bias=True, num_classes=0, drop_path_rate=0.1, tuning_mode="sct_attn",
                              channel_index_dict={"index": index}, topN=TOPN, scale=0.4, scaleonx=False)
    missing, unexpected = m.load_state_dict(base.state_dict(), strict=False)
    assert not unexpected and all("sct_attn" in k for k in missing), (missing, unexpected)
    m.reset_classifier(CLASSES)
    for n, p in m.named_parameters():  # train_model_sct.py:242-248
        p.requires_grad = any(s in n for s in ("q_l", "k_l", "v_l", "sct_attn", "sct_mlp", "head"))
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "sct_attn" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)

    m.eval()
    torch.manual_seed(5)
    x = torch.randn(BATCH, 3, IMG, IMG)
    labels = torch.tensor([1, 4, 0])
    logits = m(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()

    weights = {n: t.detach().contiguous() for n, t in m.state_dict().items() if t.numel() > 0 and t.is_floating_point()}
    for i, idx in enumerate(index):
        weights[f"blocks.{i}.sct_attn.channel_index"] = torch.tensor(idx, dtype=torch.float32)
    save_file(weights, os.path.join(OUT, "sct.safetensors"))
    io = {"x": x, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    count = 0
    for n, p in m.named_parameters():
        if p.requires_grad:
            io["grad/" + n] = p.grad.detach().clone()
            count += p.numel()
    save_file(io, os.path.join(OUT, "sct_io.safetensors"))
    calib = {"x": calib_x, "labels": calib_y.float()}
    for i, idx in enumerate(index):
        calib[f"index/{i}"] = torch.tensor(idx, dtype=torch.float32)
    save_file(calib, os.path.join(OUT, "sct_calib.safetensors"))

    meta = {"commit": commit(), "torch": torch.__version__, "timm": timm.__version__,
            "shape": {"img": IMG, "patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_ratio": MLP_RATIO,
                      "classes": CLASSES, "topN": TOPN},
            "trainable": count, "index": [i.tolist() for i in index]}
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))
