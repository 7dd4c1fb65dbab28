#!/usr/bin/env python3
"""Tiny random-weight ViT parity fixtures, made with timm (dev time only; tests never run this).

    /work/venv-torch/bin/python Tests/Fixtures/backbones/make_vit_fixtures.py   # torch 2.15, timm 1.0.31

Writes the same weights in every naming the suite loads:
  vit_tiny.safetensors          timm names
  vit_tiny.pth                  timm names, torch zip
  vit_tiny_google.npz           Google JAX names/layouts (as imagenet21k/ViT-B_16.npz)
  vit_tiny_jeonsworld.pth       KMnP/vpt internal names (separate q/k/v), under "enc." like VPT's model
and vit_tiny_io.safetensors: input x, logits (eval mode), and d(Σ logits ⊙ r)/dx.
The Google and jeonsworld layouts are produced by our own conversion below (the inverse of the one the
suite implements); the logits come from timm's model on the timm weights.
"""
import json, os
import numpy as np
import torch
import timm
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
cfg = dict(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, mlp_ratio=2.0, num_classes=10)
model = timm.models.vision_transformer.VisionTransformer(**cfg).eval()
# Non-trivial LayerNorm/bias values so a mis-mapped tensor shows.
with torch.no_grad():
    for n, p in model.named_parameters():
        if p.ndim == 1:
            p.add_(torch.randn_like(p) * 0.1)
sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
save_file(sd, os.path.join(HERE, "vit_tiny.safetensors"))
torch.save(sd, os.path.join(HERE, "vit_tiny.pth"))

D, H = cfg["embed_dim"], cfg["num_heads"]
d = D // H
g = {}
g["embedding/kernel"] = sd["patch_embed.proj.weight"].permute(2, 3, 1, 0).numpy()  # OIHW -> HWIO
g["embedding/bias"] = sd["patch_embed.proj.bias"].numpy()
g["cls"] = sd["cls_token"].numpy()
g["Transformer/posembed_input/pos_embedding"] = sd["pos_embed"].numpy()
for i in range(cfg["depth"]):
    p, a = f"Transformer/encoderblock_{i}/", f"Transformer/encoderblock_{i}/MultiHeadDotProductAttention_1/"
    b = f"blocks.{i}."
    g[p + "LayerNorm_0/scale"] = sd[b + "norm1.weight"].numpy(); g[p + "LayerNorm_0/bias"] = sd[b + "norm1.bias"].numpy()
    qw, kw, vw = sd[b + "attn.qkv.weight"].chunk(3, 0); qb, kb, vb = sd[b + "attn.qkv.bias"].chunk(3, 0)
    for name, w_, b_ in (("query", qw, qb), ("key", kw, kb), ("value", vw, vb)):
        g[a + name + "/kernel"] = w_.t().reshape(D, H, d).numpy()
        g[a + name + "/bias"] = b_.reshape(H, d).numpy()
    g[a + "out/kernel"] = sd[b + "attn.proj.weight"].t().reshape(H, d, D).numpy()
    g[a + "out/bias"] = sd[b + "attn.proj.bias"].numpy()
    g[p + "LayerNorm_2/scale"] = sd[b + "norm2.weight"].numpy(); g[p + "LayerNorm_2/bias"] = sd[b + "norm2.bias"].numpy()
    g[p + "MlpBlock_3/Dense_0/kernel"] = sd[b + "mlp.fc1.weight"].t().numpy(); g[p + "MlpBlock_3/Dense_0/bias"] = sd[b + "mlp.fc1.bias"].numpy()
    g[p + "MlpBlock_3/Dense_1/kernel"] = sd[b + "mlp.fc2.weight"].t().numpy(); g[p + "MlpBlock_3/Dense_1/bias"] = sd[b + "mlp.fc2.bias"].numpy()
g["Transformer/encoder_norm/scale"] = sd["norm.weight"].numpy(); g["Transformer/encoder_norm/bias"] = sd["norm.bias"].numpy()
g["head/kernel"] = sd["head.weight"].t().numpy(); g["head/bias"] = sd["head.bias"].numpy()
np.savez(os.path.join(HERE, "vit_tiny_google.npz"), **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in g.items()})

j = {}
e, enc = "enc.transformer.embeddings.", "enc.transformer.encoder."
j[e + "patch_embeddings.weight"] = sd["patch_embed.proj.weight"]; j[e + "patch_embeddings.bias"] = sd["patch_embed.proj.bias"]
j[e + "cls_token"] = sd["cls_token"]; j[e + "position_embeddings"] = sd["pos_embed"]
for i in range(cfg["depth"]):
    p, b = enc + f"layer.{i}.", f"blocks.{i}."
    j[p + "attention_norm.weight"] = sd[b + "norm1.weight"]; j[p + "attention_norm.bias"] = sd[b + "norm1.bias"]
    qw, kw, vw = sd[b + "attn.qkv.weight"].chunk(3, 0); qb, kb, vb = sd[b + "attn.qkv.bias"].chunk(3, 0)
    for name, w_, b_ in (("query", qw, qb), ("key", kw, kb), ("value", vw, vb)):
        j[p + f"attn.{name}.weight"] = w_.contiguous(); j[p + f"attn.{name}.bias"] = b_.contiguous()
    j[p + "attn.out.weight"] = sd[b + "attn.proj.weight"]; j[p + "attn.out.bias"] = sd[b + "attn.proj.bias"]
    j[p + "ffn_norm.weight"] = sd[b + "norm2.weight"]; j[p + "ffn_norm.bias"] = sd[b + "norm2.bias"]
    for n in ("fc1", "fc2"):
        j[p + f"ffn.{n}.weight"] = sd[b + f"mlp.{n}.weight"]; j[p + f"ffn.{n}.bias"] = sd[b + f"mlp.{n}.bias"]
j[enc + "encoder_norm.weight"] = sd["norm.weight"]; j[enc + "encoder_norm.bias"] = sd["norm.bias"]
torch.save(j, os.path.join(HERE, "vit_tiny_jeonsworld.pth"))

x = torch.randn(2, 3, 32, 32, requires_grad=True)
r = torch.randn(2, cfg["num_classes"])
logits = model(x)
(logits * r).sum().backward()
io = {"x": x.detach(), "r": r, "logits": logits.detach(), "dx": x.grad.detach()}
# Position-embedding resampling reference: scipy.ndimage.zoom(order=1) from the 4x4 grid to 6x6, as KMnP/vpt.
try:
    from scipy import ndimage
    grid = sd["pos_embed"][0, 1:].reshape(4, 4, D).numpy()
    zoomed = ndimage.zoom(grid, (6 / 4, 6 / 4, 1), order=1)
    io["pos_embed_6x6"] = torch.from_numpy(np.concatenate([sd["pos_embed"][0, :1].numpy(), zoomed.reshape(36, D)], 0)[None].astype(np.float32))
except ImportError:
    print("scipy missing: no resampling reference")
save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(HERE, "vit_tiny_io.safetensors"))
json.dump({"torch": torch.__version__, "timm": timm.__version__, "config": cfg},
          open(os.path.join(HERE, "vit_tiny_versions.json"), "w"), indent=1)
print("ok", {f: os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE) if f.startswith("vit_tiny")})
