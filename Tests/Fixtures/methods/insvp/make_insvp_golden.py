#!/usr/bin/env python3
"""InsVP parity golden (dev time only; tests never run this).

    INSVP_SRC=/tmp/src-insvp /work/venv-torch/bin/python Tests/Fixtures/methods/insvp/make_insvp_golden.py

INSVP_SRC is a checkout of zhoujiahuan1991/MM2024-InsVP. The official `Model_InstanceVPD` (models/InstanceVPD.py,
with its TokenPrompt and SimAM) is built from an args namespace; only `get_backbone` (which loads a checkpoint file)
is replaced by a small timm ViT of the shape the code hard-codes (224 px, patch 16, width 768, 12 heads) with depth 2
and MLP 192. Its image-size/width constants (224, 768, crops 8:216 / 2:50) force a 224-px, 768-wide model, too big
to store: the backbone weights and the input images are therefore *generated* by `gen` below (an exact integer hash,
reproduced bit-for-bit by the Swift test), and only the method tensors, logits, loss and gradients are stored.

gen(seed, count)[k] = ((k·2654435761 + seed·40503 + 12345) mod 2³²) / 2³² − 0.5   (float64, then × scale, → float32)

It also records the first 5 training losses of the official training step (see the last section) in golden.json.
"""
import json, os, subprocess, sys, types
from argparse import Namespace
import numpy as np
import torch
import torch.nn as nn
import timm
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ["INSVP_SRC"]
sys.path.insert(0, SRC)
tu = types.ModuleType("train.utils"); tu.device = "cpu"  # train/utils.py pulls dataset modules; only `device` is used
sys.modules["train.utils"] = tu
import models.InstanceVPD as IV

commit = subprocess.run(["git", "--git-dir=/work/.mirror/zhoujiahuan1991+MM2024-InsVP/repo", "rev-parse", "HEAD"],
                        capture_output=True, text=True).stdout.strip()

def gen(seed, count, scale):
    k = np.arange(count, dtype=np.uint64)
    h = (k * np.uint64(2654435761) + np.uint64(seed * 40503 + 12345)) % np.uint64(2 ** 32)
    return ((h.astype(np.float64) / 2.0 ** 32 - 0.5) * scale).astype(np.float32)

C, P, DEPTH = 5, 2, 2
def tiny_backbone(args):
    return timm.models.vision_transformer.VisionTransformer(img_size=224, patch_size=16, embed_dim=768, depth=DEPTH,
                                                            num_heads=12, mlp_ratio=0.25, num_classes=C)
IV.get_backbone = tiny_backbone

SPECS = []  # (name, seed, scale, offset) of every generated backbone tensor
def make(simam):
    torch.manual_seed(0)
    args = Namespace(simam="True" if simam else "False", deep_layer=DEPTH, p_len_vpt=P, p_len=P, prompt_dropout=0.1,
                     token_prompt_type="add", TP_kernel_1=7, TP_kernel_2=9, TP_kernel_3=3, prompt_patch=16, hid_dim=16,
                     prompt_patch_2=11, prompt_patch_22=25, hid_dim_2=6, prompts_2_weight=2.0, arch="ViT/B-16",
                     pretrained="imagenet22k", deep_prompt_type="ours9")
    m = IV.Model_InstanceVPD(args)
    with torch.no_grad():
        for i, (n, p) in enumerate(m.backbone.named_parameters()):
            if n.startswith("head."):
                continue
            if n.endswith("norm1.weight") or n.endswith("norm2.weight") or n == "norm.weight":
                scale, offset = 0.2, 1.0
            elif p.ndim == 1 or n in ("cls_token", "pos_embed"):
                scale, offset = 0.2, 0.0
            else:
                scale, offset = 2 * (3.0 / p[0].numel()) ** 0.5, 0.0
            v = gen(i, p.numel(), scale) + np.float32(offset)
            p.copy_(torch.from_numpy(v).reshape(p.shape))
            if not simam:
                SPECS.append([n, i, scale, offset])
    return m

out = {"commit": commit, "backbone": dict(imageSize=224, patchSize=16, dim=768, depth=DEPTH, heads=12, mlpDim=192),
       "num_classes": C, "generated": "specs: [timm name, seed, scale, offset]: gen(seed, count, scale) + offset (float32 add); x = gen(1000, 1*3*224*224, 4)",
       "cases": {}}
x = torch.from_numpy(gen(1000, 1 * 3 * 224 * 224, 4.0)).reshape(1, 3, 224, 224)  # one image: 224-px convs are the test cost
y = torch.tensor([3])
for simam in (False, True):
    m = make(simam)
    m.eval()
    with torch.no_grad():
        logits = m(x)
    out_ = m(x)
    loss = nn.CrossEntropyLoss()(out_, y)
    loss.backward()
    learn = {id(p) for p in m.learnable_parameters()}
    names = [n for n, p in m.named_parameters() if id(p) in learn]
    tag = "simam" if simam else "plain"
    own = {n: p.detach().contiguous() for n, p in m.named_parameters() if not n.startswith("backbone.") or n.startswith("backbone.head.")}
    if not simam:  # same seed → same method tensors in both cases
        save_file(own, os.path.join(HERE, "weights.safetensors"))
    grads = {n: p.grad.detach().contiguous() for n, p in m.named_parameters() if n in names}
    tp = {n: p.grad.detach().contiguous() for n, p in m.named_parameters() if n.startswith("TokenPrompt.")}
    save_file(grads, os.path.join(HERE, f"grads_{tag}.safetensors"))
    save_file(tp, os.path.join(HERE, f"grads_tokenprompt_{tag}.safetensors"))
    np.save(os.path.join(HERE, f"logits_{tag}.npy"), logits.numpy().astype(np.float32))
    out["cases"][tag] = {"loss": float(loss), "learnable": names}
    print(tag, float(loss), len(names), logits)
out["labels"] = y.tolist()
out["specs"] = SPECS
json.dump(out, open(os.path.join(HERE, "golden.json"), "w"), indent=1)

# ---- First 5 training losses (train/trainer.py:36-111): official AdamW over `learnable_parameters()` (one group,
# weight decay on everything), official per-step `cosine_lr` (train/utils.py:145-155, warmup = len(loader)·n_epochs//5),
# official timm Mixup(mixup 0.8, cutmix 1.0 as the scripts, prob 0.5, switch 0.5, mode 'batch', smoothing 0.1) and
# SoftTargetCrossEntropy, on 5 generated batches of 2 images, from the weights above (plain, no SimAM).
# Differences, both because they cannot be shared across frameworks: dropout is off (model.eval()), and the forward
# runs in float32 (the official autocast/GradScaler is CUDA fp16). Mixup's random draws (numpy) are recorded per step
# (λ after the box correction, and the cutmix box) and replayed by the Swift test.
import timm.data.mixup as TM
from timm.loss import SoftTargetCrossEntropy
import importlib.util
spec = importlib.util.spec_from_file_location("insvp_train_utils", os.path.join(SRC, "train", "utils.py"))
TU = importlib.util.module_from_spec(spec); spec.loader.exec_module(TU)  # the real train/utils.py (stubbed above for the model)
LR, WD, EPOCHS, NITER, B, NP_SEED = 2e-3, 1e-3, 5, 2, 2, 16  # lr/wd of sh/cifar10.sh; numpy seed picked so the 5 draws mix, cut and pass
m = make(False)
m.eval()
opt = torch.optim.AdamW(m.learnable_parameters(), lr=LR, weight_decay=WD)
sched = TU.cosine_lr(opt, LR, NITER * EPOCHS // 5, NITER * EPOCHS)
draws = []
_orig_box = TM.cutmix_bbox_and_lam
def _rec_box(*a, **k):  # records the cutmix box the official Mixup draws
    box, lam = _orig_box(*a, **k); draws[-1]["box"] = [int(v) for v in box]; return box, lam
TM.cutmix_bbox_and_lam = _rec_box
np.random.seed(NP_SEED)
mix = TM.Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, cutmix_minmax=None, prob=0.5, switch_prob=0.5, mode="batch",
               label_smoothing=0.1, num_classes=C)
_orig_mix_batch = mix._mix_batch
def _rec_mix_batch(x):  # records the λ the targets use (after the cutmix box correction; 1 when nothing is mixed)
    lam = _orig_mix_batch(x); draws[-1]["lambda"] = float(lam); return lam
mix._mix_batch = _rec_mix_batch
crit = SoftTargetCrossEntropy()
labels = [[0, 3], [4, 1], [2, 2], [1, 0], [3, 4]]
losses, lrs = [], []
for step in range(5):
    lrs.append(float(sched(step)))
    xb = torch.from_numpy(gen(2000 + step, B * 3 * 224 * 224, 4.0)).reshape(B, 3, 224, 224).clone()
    draws.append({"box": None})
    xb, tb = mix(xb, torch.tensor(labels[step]))
    loss = crit(m(xb), tb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(float(loss))
print("insvp first losses", losses, "draws", draws)
out["first_losses"] = dict(lr=LR, weight_decay=WD, epochs=EPOCHS, iters_per_epoch=NITER, batch=B, labels=labels,
                           images="x_step = gen(2000 + step, batch*3*224*224, 4)", schedule=lrs, draws=draws, losses=losses)
json.dump(out, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
