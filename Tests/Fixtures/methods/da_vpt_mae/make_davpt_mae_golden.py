"""Golden files for DA-VPT(+) on an MAE backbone (Tests/MethodsTests/DAVPTMAETests.swift).

With model_name mae-B the official model is built with global_pool=True (model_creator.py:115-125) and reads out
mean(norm(x)[:, 1:]) — LayerNorm on every token, then the mean over the last block's prompt outputs and the image
tokens (mae_pooling "all", params.py:87) or the image tokens only ("img") — instead of norm(x)[:, 0]
(models/vpt.py:381-393). The initial k-means reads the plain ViT's norm(mean(x[:, 1:])) (models/vit.py:78-80).
This script runs the official modules (Noahsark/DA-VPT, checkout named by DAVPT_SRC; its commit is recorded) on a tiny
MAE-style config (the MAE configs' efficient-bias flags, configs/vtab/mae_cifar100.yaml: bias_v, bias_proj, bias_fc2,
bias_norm2, norm_norm1, train_cls) and writes, per variant folder (all/, img/, all0/ = num_prompts 0 as most mae_*
configs set): grads.safetensors (gradient of CE + metric loss, train mode, no drop-path), logits.npy (eval mode),
golden.json (loss, trainable names and count); beside them weights.safetensors (official state dict after the qkv
split), x.npy, and plain_features.npy (the plain ViT's global-pool feature of x, models/vit.py VisionTransformer).
Contains none of the official code; CUDA-only allocations are redirected to CPU.

Run: DAVPT_SRC=/work/src/DA-VPT DAVPT_GIT=/work/.mirror/Noahsark+DA-VPT/repo \
     /work/venv-torch/bin/python Tests/Fixtures/methods/da_vpt_mae/make_davpt_mae_golden.py
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
import models.vit as vit_mod            # noqa: E402
_gen = attn_mod.VPTAttention._generate_mask
attn_mod.VPTAttention._generate_mask = lambda self, L, S, n, device: _gen(self, L, S, n, torch.device("cpu"))
# Newer timm Blocks pass is_causal to attention (the plain ViT of models/vit.py uses timm's Block); it is False here.
_fwd = attn_mod.VPTAttention.forward
def _fwd_no_causal(self, x, attn_mask=None, is_causal=False):
    assert not is_causal
    return _fwd(self, x, attn_mask=attn_mask)
attn_mod.VPTAttention.forward = _fwd_no_causal

D, DEPTH, HEADS, C, B = 32, 4, 2, 6, 8
BASE = dict(num_prompts=3, proxy_prompt_len=4, proxy_prompt_start_idx=2, proxy_prompt_end_idx=3,
            prompt_drop_rate=0.0, proxy_vpt=True, criterion="proxyanchor",
            loss_oproxy_pos_alpha=32.0, loss_oproxy_neg_alpha=32.0, loss_oproxy_pos_delta=0.1, loss_oproxy_neg_delta=-0.1,
            initial_mapping="kmeans", vpt_norm="l2", init_divide_by8=True, mask=True,
            vpt_loss_weight=0.3, cls_loss_weight=0.2, loss_vpt_scale_ratio=5.0,
            patch_type="output", cls_type="query", vpt_type_for_cls_ml="vpt", vpt_type_for_patch_ml="vpt",
            bias_v=True, bias_proj=True, bias_fc2=True, bias_norm2=True, norm_norm1=True, train_cls=True)
FLAG_ENTRY = {"learn_bias": "bias", "bias_q": "q.bias", "bias_k": "k.bias", "bias_v": "v.bias", "bias_fc1": "fc1.bias",
              "bias_fc2": "fc2.bias", "bias_proj": "proj.bias", "bias_norm1": "norm1.bias", "bias_norm2": "norm2.bias",
              "bias_norm": "norm.bias", "norm_norm1": "norm1", "norm_norm2": "norm2", "norm_norm": "norm", "train_cls": "cls_token"}
VARIANTS = {"all": dict(mae_pooling="all"), "img": dict(mae_pooling="img"), "all0": dict(mae_pooling="all", num_prompts=0)}
mapping = [0, 1, 2, 3, 0, 2]
labels = [0, 1, 2, 3, 4, 5, 0, 4]
VIT = dict(img_size=32, patch_size=8, embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=4, qkv_bias=True,
           norm_layer=partial(nn.LayerNorm, eps=1e-6))

torch.manual_seed(0)
stand_in = None   # the "pretrained" backbone weights every variant loads (load_model_parameters, model_creator.py:30-37)
x = torch.randn(B, 3, 32, 32)
y = torch.tensor(labels)
for name, over in VARIANTS.items():
    cfg = dict(BASE, **over)
    args = types.SimpleNamespace(**cfg, device="cpu", quiet_mode=True, vpt_cls_loss=False, model_name="mae-B",
                                 num_classes=C, test_vpt_loss_off=False, test_cls_loss_off=False)
    torch.manual_seed(1)
    model = vpt_mod.PromptVisionTransformer(args, mapping=torch.tensor(mapping), num_classes=C, num_img_tokens=16,
                                            drop_path_rate=0.0, global_pool=True, **VIT)
    if stand_in is None:
        with torch.no_grad():   # stand-in for pretrained weights: non-trivial biases / LN affine
            for n, p in model.named_parameters():
                if "prompt_tokens" not in n:
                    p.add_(0.05 * torch.randn_like(p))
        stand_in = {k: v.clone() for k, v in model.state_dict().items() if "prompt_tokens" not in k and "head" not in k}
        # The plain ViT of the initial mapping (model_creator.py:563-578), eval mode, global pool.
        plain = vit_mod.VisionTransformer(args, num_classes=C, global_pool=True, **VIT)
        sd = plain.state_dict(); sd.update({k: v for k, v in stand_in.items() if k in sd}); plain.load_state_dict(sd)
        plain.separate_qkv_params(); plain.eval()
        with torch.no_grad():
            plain_features = plain.forward_features(x, labels=y)
        np.save(os.path.join(OUT, "plain_features.npy"), plain_features.numpy().astype(np.float32))
    else:
        sd = model.state_dict(); sd.update(stand_in); model.load_state_dict(sd)
    model.separate_qkv_params()                                   # model_creator.py:132
    learn = ["prompt_token", "head", "proxy_prompt_tokens", "other_prompt_tokens", "vpt_norm"]   # :134-139
    learn += [FLAG_ENTRY[k] for k in FLAG_ENTRY if cfg.get(k)]    # :141-167
    model.set_learnable_parameters(learn)
    model.head = nn.Linear(D, C)                                  # :171-176
    nn.init.trunc_normal_(model.head.weight, std=0.02)
    nn.init.constant_(model.head.bias, 0)
    with torch.no_grad():
        model.head.bias.add_(0.01 * torch.randn(C))
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
    save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, os.path.join(d, "weights.safetensors"))
    if name == "all":
        np.save(os.path.join(OUT, "x.npy"), x.numpy().astype(np.float32))
    save_file(grads, os.path.join(d, "grads.safetensors"))
    np.save(os.path.join(d, "logits.npy"), logits_eval.numpy().astype(np.float32))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    meta = dict(official_repo="Noahsark/DA-VPT", commit=commit, torch=torch.__version__, config=cfg, model_name="mae-B",
                learnable_list=learn, vit=dict(img_size=32, patch_size=8, dim=D, depth=DEPTH, heads=HEADS, mlp_ratio=4),
                num_classes=C, mapping=mapping, labels=labels, loss=float(loss), ce=float(ce), vpt_loss=float(vpt_loss),
                trainable=sorted(grads), trainable_count=trainable)
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, json.dumps({k: meta[k] for k in ["loss", "ce", "vpt_loss", "trainable_count"]}))
