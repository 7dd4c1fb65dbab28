"""Golden files for DA-VPT vs DA-VPT+ (Tests/MethodsTests/DAVPTPlusTests.swift).

DA-VPT+ is DA-VPT with "efficient bias tuning" (paper Sec. 3.5, 5.1); in the official code the two differ only in the
learnable list model_creator.py:134-169 builds from the bias / norm / cls flags (params.py:56-69, all off by default).
This script runs the official model (Noahsark/DA-VPT, checkout named by DAVPT_SRC; its commit is recorded) on the tiny
config of ../da_vpt/make_davpt_golden.py under two learnable lists:
  plain/ — no flag on: DA-VPT (`da-vpt`);
  plus/  — bias_v, bias_proj, bias_fc2, bias_norm2 (the flag set of the MAE configs, e.g. configs/fgvc/mae_cub200.yaml:
           bias_k false, norm_norm1 false, train_cls false): a DA-VPT+ set other than the ViT-B one ../da_vpt covers.
Both runs start from the same seed, so weights.safetensors (official state dict after qkv split) and x.npy are written
once, beside the folders (the script checks they are equal). Each folder: grads.safetensors (every trainable tensor's
gradient of CE + the model's metric-learning loss, train mode), logits.npy (eval mode), golden.json (loss, trainable
names and count). Contains none of the official code; CUDA-only allocations are redirected to CPU.

Run: DAVPT_SRC=/work/src/DA-VPT DAVPT_GIT=/work/.mirror/Noahsark+DA-VPT/repo \
     /work/venv-torch/bin/python Tests/Fixtures/methods/da_vpt_plus/make_davpt_plus_golden.py
"""
import json, os, subprocess, sys, types
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

SRC = os.environ["DAVPT_SRC"]
sys.path.insert(0, SRC)
OUT = os.path.dirname(os.path.abspath(__file__))
commit = subprocess.check_output(["git", "--git-dir", os.environ.get("DAVPT_GIT", os.path.join(SRC, ".git")),
                                  "rev-parse", "HEAD"]).decode().strip()

_zeros = torch.zeros
def _zeros_cpu(*a, **k):
    k.pop("device", None)
    return _zeros(*a, **k)
torch.zeros = _zeros_cpu

import models.attn as attn_mod          # noqa: E402
import models.vpt as vpt_mod            # noqa: E402
_gen = attn_mod.VPTAttention._generate_mask
attn_mod.VPTAttention._generate_mask = lambda self, L, S, n, device: _gen(self, L, S, n, torch.device("cpu"))

D, DEPTH, HEADS, C, B = 32, 4, 2, 6, 8
BASE = dict(num_prompts=3, proxy_prompt_len=4, proxy_prompt_start_idx=2, proxy_prompt_end_idx=3,
            prompt_drop_rate=0.0, proxy_vpt=True, criterion="proxyanchor",
            loss_oproxy_pos_alpha=32.0, loss_oproxy_neg_alpha=32.0, loss_oproxy_pos_delta=0.1, loss_oproxy_neg_delta=-0.1,
            initial_mapping="kmeans", vpt_norm="l2", init_divide_by8=True, mask=True,
            vpt_loss_weight=0.3, cls_loss_weight=0.2, loss_vpt_scale_ratio=5.0,
            patch_type="output", cls_type="query", vpt_type_for_cls_ml="vpt", vpt_type_for_patch_ml="vpt")
# The flag → learnable-list entry of model_creator.py:134-169.
FLAG_ENTRY = {"learn_bias": "bias", "bias_q": "q.bias", "bias_k": "k.bias", "bias_v": "v.bias", "bias_fc1": "fc1.bias",
              "bias_fc2": "fc2.bias", "bias_proj": "proj.bias", "bias_norm1": "norm1.bias", "bias_norm2": "norm2.bias",
              "bias_norm": "norm.bias", "norm_norm1": "norm1", "norm_norm2": "norm2", "norm_norm": "norm", "train_cls": "cls_token"}
VARIANTS = {"plain": {}, "plus": dict(bias_v=True, bias_proj=True, bias_fc2=True, bias_norm2=True)}
mapping = [0, 1, 2, 3, 0, 2]
labels = [0, 1, 2, 3, 4, 5, 0, 4]

for name, flags in VARIANTS.items():
    cfg = dict(BASE, **flags)
    args = types.SimpleNamespace(**cfg, device="cpu", quiet_mode=True, vpt_cls_loss=False, mae_pooling="all",
                                 num_classes=C, test_vpt_loss_off=False, test_cls_loss_off=False)
    torch.manual_seed(0)
    model = vpt_mod.PromptVisionTransformer(
        args, mapping=torch.tensor(mapping), num_classes=C, num_img_tokens=16, img_size=32, patch_size=8,
        embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=4, qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), drop_path_rate=0.0)
    with torch.no_grad():   # stand-in for pretrained weights: non-trivial biases / LN affine
        for n, p in model.named_parameters():
            if "prompt_tokens" not in n:
                p.add_(0.05 * torch.randn_like(p))
    model.separate_qkv_params()                                   # model_creator.py:132
    learn = ["prompt_token", "head", "proxy_prompt_tokens", "other_prompt_tokens", "vpt_norm"]   # :134-139
    learn += [FLAG_ENTRY[k] for k in FLAG_ENTRY if cfg.get(k)]    # :141-167, in the official order
    model.set_learnable_parameters(learn)
    model.head = nn.Linear(D, C)                                  # :171-176
    nn.init.trunc_normal_(model.head.weight, std=0.02)
    nn.init.constant_(model.head.bias, 0)
    with torch.no_grad():
        model.head.bias.add_(0.01 * torch.randn(C))
    x = torch.randn(B, 3, 32, 32)
    y = torch.tensor(labels)
    model.eval()
    with torch.no_grad():
        logits_eval = model(x)[0]
    model.train()
    logits, vpt_loss, _ = model(x, labels=y)
    ce = F.cross_entropy(logits, y)
    loss = ce + vpt_loss
    assert float(vpt_loss) > 0, "metric-learning loss silently 0"
    loss.backward()
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    grads = {n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    if name == "plain":
        shared = (weights, x)
        save_file(weights, os.path.join(OUT, "weights.safetensors"))
        np.save(os.path.join(OUT, "x.npy"), x.numpy().astype(np.float32))
    else:
        assert all(torch.equal(weights[k], shared[0][k]) for k in weights) and torch.equal(x, shared[1]), "runs must share weights and input"
    save_file(grads, os.path.join(d, "grads.safetensors"))
    np.save(os.path.join(d, "logits.npy"), logits_eval.numpy().astype(np.float32))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    meta = dict(official_repo="Noahsark/DA-VPT", commit=commit, torch=torch.__version__, config=cfg, learnable_list=learn,
                vit=dict(img_size=32, patch_size=8, dim=D, depth=DEPTH, heads=HEADS, mlp_ratio=4), num_classes=C,
                mapping=mapping, labels=labels, loss=float(loss), ce=float(ce), vpt_loss=float(vpt_loss),
                trainable=sorted(grads), trainable_count=trainable)
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, json.dumps({k: meta[k] for k in ["loss", "ce", "vpt_loss", "trainable_count"]}))
