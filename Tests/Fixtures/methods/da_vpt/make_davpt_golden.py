"""Golden files for the DA-VPT parity tests (Tests/MethodsTests/DAVPTTests.swift).

Imports the official model / loss / k-means code from a checkout of Noahsark/DA-VPT named by DAVPT_SRC
(e.g. `git --git-dir=/work/.mirror/Noahsark+DA-VPT/repo archive HEAD | tar -x -C /tmp/src-davpt`) and runs it
on CPU on a tiny config. Contains none of the official code; CUDA-only allocations are redirected to CPU.

Run: DAVPT_SRC=/tmp/src-davpt DAVPT_GIT=/work/.mirror/Noahsark+DA-VPT/repo \
     /work/venv-torch/bin/python Tests/Fixtures/methods/da_vpt/make_davpt_golden.py
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

# The official code allocates a few buffers with device='cuda'; run everything on CPU.
_zeros = torch.zeros
def _zeros_cpu(*a, **k):
    k.pop("device", None)
    return _zeros(*a, **k)
torch.zeros = _zeros_cpu

import models.attn as attn_mod          # noqa: E402
import models.vpt as vpt_mod            # noqa: E402
_gen = attn_mod.VPTAttention._generate_mask
attn_mod.VPTAttention._generate_mask = lambda self, L, S, n, device: _gen(self, L, S, n, torch.device("cpu"))

# Tiny config: img 32, patch 8 (16 image tokens), D 32, depth 4, 2 heads; proxy layers 2-3, others 0-1.
D, DEPTH, HEADS, C, B = 32, 4, 2, 6, 8
cfg = dict(num_prompts=3, proxy_prompt_len=4, proxy_prompt_start_idx=2, proxy_prompt_end_idx=3,
           prompt_drop_rate=0.0, proxy_vpt=True, criterion="proxyanchor",
           loss_oproxy_pos_alpha=32.0, loss_oproxy_neg_alpha=32.0, loss_oproxy_pos_delta=0.1, loss_oproxy_neg_delta=-0.1,
           initial_mapping="kmeans", vpt_norm="l2", init_divide_by8=True, mask=True,
           vpt_loss_weight=0.3, cls_loss_weight=0.2, loss_vpt_scale_ratio=5.0,
           patch_type="output", cls_type="query", vpt_type_for_cls_ml="vpt", vpt_type_for_patch_ml="vpt",
           train_cls=True, norm_norm1=True, bias_k=True, bias_v=True, bias_proj=True, bias_fc2=True, bias_norm2=True)
args = types.SimpleNamespace(**cfg, device="cpu", quiet_mode=True, vpt_cls_loss=False, mae_pooling="all",
                             num_classes=C, test_vpt_loss_off=False, test_cls_loss_off=False)
mapping = [0, 1, 2, 3, 0, 2]
labels = [0, 1, 2, 3, 4, 5, 0, 4]

torch.manual_seed(0)
model = vpt_mod.PromptVisionTransformer(
    args, mapping=torch.tensor(mapping), num_classes=C, num_img_tokens=16, img_size=32, patch_size=8,
    embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=4, qkv_bias=True,
    norm_layer=partial(nn.LayerNorm, eps=1e-6), drop_path_rate=0.0)
# Stand-in for pretrained weights: perturb every tensor so biases / LN affine are non-trivial.
with torch.no_grad():
    for n, p in model.named_parameters():
        if "prompt_tokens" not in n:
            p.add_(0.05 * torch.randn_like(p))
model.separate_qkv_params()  # model_creator.py:132
# model_creator.py:134-169 with the ViT-B config flags above.
learn = ["prompt_token", "head", "proxy_prompt_tokens", "other_prompt_tokens", "vpt_norm",
         "k.bias", "v.bias", "fc2.bias", "proj.bias", "norm2.bias", "norm1", "cls_token"]
model.set_learnable_parameters(learn)
model.head = nn.Linear(D, C)  # model_creator.py:171-176
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
assert float(vpt_loss) > 0, "metric-learning loss silently 0 (forward_vpt swallows errors)"
loss.backward()

weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
grads = {n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
save_file(weights, os.path.join(OUT, "weights.safetensors"))
save_file(grads, os.path.join(OUT, "grads.safetensors"))
np.save(os.path.join(OUT, "x.npy"), x.numpy().astype(np.float32))
np.save(os.path.join(OUT, "labels.npy"), np.array(labels, dtype=np.int64))
np.save(os.path.join(OUT, "logits.npy"), logits_eval.numpy().astype(np.float32))

# Cosine k-means (model_creator.py:196-256), warm-started so the result is deterministic.
import importlib
for stub in ["Dataset.FGVC_json", "Dataset.VTAB_txt", "Dataset.class_sampler", "Dataset.mapping_sampler",
             "Dataset.torch_vision", "Dataset.names", "utils.utils", "params"]:
    m = types.ModuleType(stub)
    if stub == "Dataset.names":
        m._FGVC_CATALOG = m._VTAB_CATALOG = m._TORCH_VISION_CATALOG = m._MODEL_CATALOG = {}
    sys.modules[stub] = m
mc = importlib.import_module("model_creator")
g = torch.Generator().manual_seed(1)
data = torch.randn(12, D, generator=g) + torch.randn(3, D, generator=g).repeat(4, 1)
start = F.layer_norm(data[[0, 1, 5]], (D,))
cents, assign = mc.cosine_kmeans(data.clone(), 3, centroids=start.clone(), norm="layer")
np.save(os.path.join(OUT, "kmeans_data.npy"), data.numpy().astype(np.float32))
np.save(os.path.join(OUT, "kmeans_start.npy"), start.numpy().astype(np.float32))
np.save(os.path.join(OUT, "kmeans_assign.npy"), assign.numpy().astype(np.int64))
np.save(os.path.join(OUT, "kmeans_centroids.npy"), cents.numpy().astype(np.float32))

meta = dict(official_repo="Noahsark/DA-VPT", commit=commit, torch=torch.__version__, config=cfg,
            vit=dict(img_size=32, patch_size=8, dim=D, depth=DEPTH, heads=HEADS, mlp_ratio=4), num_classes=C,
            mapping=mapping, labels=labels, loss=float(loss), ce=float(ce), vpt_loss=float(vpt_loss),
            trainable=sorted(grads), kmeans_assign=assign.tolist())
with open(os.path.join(OUT, "golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
print(json.dumps({k: meta[k] for k in ["loss", "ce", "vpt_loss", "kmeans_assign"]}))
