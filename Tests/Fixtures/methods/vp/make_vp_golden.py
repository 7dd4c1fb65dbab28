#!/usr/bin/env python3
"""Golden files for VP (padding prompter + frozen ViT + linear head) at a tiny size.

    VP_SRC=/work/src/h23lv-visual_prompting /work/venv-torch/bin/python make_vp_golden.py

VP_SRC: a checkout of hjbahng/visual_prompting; the script imports `models/prompters.PadPrompter` (nothing of it is
copied). Its forward builds the zero centre with `.cuda()`; on this CPU-only machine `torch.Tensor.cuda` is patched to
return the tensor unchanged (DAM-VP's copy of the class uses `.to(x.device)` instead — same values).
The backbone is timm's VisionTransformer (the layout the HTA cells load), num_classes 0, so `model(x)` is the normed
CLS feature; the head is a fresh nn.Linear(D, C) (DAM-VP `task_adapting/adapter.py:280`). Weights: official inits with
torch.manual_seed(0), then norms, biases and embeddings re-randomised. Only the prompter and the head train; the
backbone is frozen and in eval mode. Loss: cross-entropy.

Outputs: vp.safetensors (backbone in timm names, `prompter.pad_*`, `head.*`), vp_io.safetensors (x, labels, logits, loss,
grad/<name>), meta.json (commit, timm version, shapes).
"""
import json, os, subprocess, sys, types

import timm
import torch
from safetensors.torch import save_file

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, DIM, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH, PAD = 32, 8, 32, 3, 4, 2.0, 5, 3, 3

SRC = os.environ["VP_SRC"]
sys.path.insert(0, os.path.join(SRC, "models"))
torch.Tensor.cuda = lambda self, *a, **k: self  # CPU-only: the prompter's zero centre stays on the CPU
from prompters import PadPrompter  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
                                          mlp_ratio=MLP_RATIO, qkv_bias=True, num_classes=0)
        self.prompter = PadPrompter(types.SimpleNamespace(prompt_size=PAD, image_size=IMG))
        self.head = torch.nn.Linear(DIM, CLASSES)

    def forward(self, x):
        return self.head(self.backbone(self.prompter(x)))


torch.manual_seed(0)
m = Model()
g = torch.Generator().manual_seed(1)
with torch.no_grad():
    for n, p in m.backbone.named_parameters():
        if n.endswith("bias") or "norm" in n or n in ("cls_token", "pos_embed"):
            p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if "norm" in n and n.endswith("weight") else 0.0))
for p in m.backbone.parameters():
    p.requires_grad = False
m.eval()
torch.manual_seed(5)
x = torch.randn(BATCH, 3, IMG, IMG)
labels = torch.tensor([1, 4, 0])
logits = m(x)
loss = torch.nn.functional.cross_entropy(logits, labels)
loss.backward()

weights = {n[len("backbone."):] if n.startswith("backbone.") else n: t.detach().contiguous() for n, t in m.state_dict().items()}
save_file(weights, os.path.join(OUT, "vp.safetensors"))
io = {"x": x, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
count = 0
for n, p in m.named_parameters():
    if p.requires_grad:
        io["grad/" + n] = p.grad.detach().clone()
        count += p.numel()
save_file(io, os.path.join(OUT, "vp_io.safetensors"))
try:
    commit = subprocess.check_output(["git", "-C", SRC, "rev-parse", "HEAD"], text=True).strip()
except Exception:
    commit = os.environ.get("VP_COMMIT", "unknown (archive checkout)")
meta = {"visual_prompting_commit": commit, "timm": timm.__version__, "torch": torch.__version__, "trainable": count,
        "shape": {"img": IMG, "patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_ratio": MLP_RATIO,
                  "classes": CLASSES, "prompt_size": PAD}}
with open(os.path.join(OUT, "meta.json"), "w") as f:
    json.dump(meta, f, indent=1)
print(json.dumps(meta, indent=1))
