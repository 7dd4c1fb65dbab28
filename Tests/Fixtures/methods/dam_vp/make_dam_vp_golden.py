"""Golden outputs of the official DAM-VP code at a tiny config (dev-time only; not run by the tests).

Usage: DAMVP_SRC=/tmp/src-damvp /work/venv-torch/bin/python make_dam_vp_golden.py
  (DAMVP_SRC = a checkout of shikiw/DAM-VP, e.g. `git --git-dir=/work/.mirror/shikiw+DAM-VP/repo archive HEAD | tar -x`)

Writes, next to this script:
  clustering.json      sklearn AgglomerativeClustering(linkage='average', distance_threshold=τ) labels of a fixed
                       matrix for several τ (the call of task_adapting/adapter.py:136-156)
  weights.safetensors  tiny official VisionTransformer (models/backbones/backbone_vit.py, representation_size set, so
                       `pre_logits.fc` + tanh) after reset_classifier(C), and the K prompters `prompter_gather.{k}.*`
  io.safetensors       cluster_images (clustering input), images/labels (probe batch), prototypes, cluster labels,
                       logits, grads of every trainable tensor
  golden.json          loss, K, τ, config, commit
Official pieces used: PadPrompter, VisionTransformer, Adapter.coarse_clustering, Adapter.get_prompted_image.
Stubs (imports the code needs but this script does not use): the models.backbones package __init__, pandas, tkinter.messagebox, data_utils.loader,
timm.models.helpers.overlay_external_default_cfg (removed in timm 1.x). The clustering threshold table is a local dict
inside coarse_clustering, so τ for the tiny model is injected by wrapping sklearn's class (only distance_threshold
changes).
"""
import json, os, subprocess, sys, types
from copy import deepcopy

import numpy as np
import torch
from safetensors.torch import save_file

SRC = os.environ["DAMVP_SRC"]
HERE = os.path.dirname(os.path.abspath(__file__))
MIRROR = "/work/.mirror/shikiw+DAM-VP/repo"
commit = subprocess.run(["git", "--git-dir", MIRROR, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()

sys.path.insert(0, SRC)
import timm.models.helpers as th
if not hasattr(th, "overlay_external_default_cfg"):
    th.overlay_external_default_cfg = lambda *a, **k: None
for name in ["pandas", "tkinter", "tkinter.messagebox"]:
    m = types.ModuleType(name); m.NO = None; sys.modules.setdefault(name, m)
dl = types.ModuleType("data_utils.loader"); dl._dataset_class_num = lambda name: 3
sys.modules["data_utils.loader"] = dl
bb = types.ModuleType("models.backbones"); bb.__path__ = [os.path.join(SRC, "models", "backbones")]
sys.modules["models.backbones"] = bb  # skip its __init__ (imports the Swin/MoCo files, which need timm 0.4 internals)
import data_utils  # noqa: E402  (package exists in the checkout)
data_utils.loader = dl

import sklearn.cluster as skc  # noqa: E402
from models.backbones.backbone_vit import VisionTransformer  # noqa: E402
from models.prompters import PadPrompter  # noqa: E402
import task_adapting.adapter as adapter_mod  # noqa: E402
del sys.modules["pandas"]  # only adapter.py's unused `import pandas` needed it; sklearn must not see the stub

# ---------------------------------------------------------------- 1. clustering on a fixed matrix
rng = np.random.RandomState(0)
centers = rng.randn(5, 8) * 3
X = np.concatenate([centers[i] + rng.randn(n, 8) for i, n in enumerate([12, 9, 15, 6, 18])]).astype(np.float32)
X = X[rng.permutation(len(X))]
clustering = {"x": X.tolist(), "cases": []}
for tau in [2.0, 3.0, 4.0, 6.0, 9.0, 100.0]:
    hc = skc.AgglomerativeClustering(n_clusters=None, linkage="average", distance_threshold=tau)
    clustering["cases"].append({"threshold": tau, "labels": hc.fit(X).labels_.tolist()})
clustering["commit"] = commit
clustering["sklearn"] = __import__("sklearn").__version__
json.dump(clustering, open(os.path.join(HERE, "clustering.json"), "w"))

# ---------------------------------------------------------------- 2. tiny model
torch.manual_seed(0)
IMG, PATCH, DIM, DEPTH, HEADS, C, PAD = 32, 8, 32, 2, 2, 3, 4
model = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS, mlp_ratio=4,
                          qkv_bias=True, representation_size=DIM, num_classes=10)
with torch.no_grad():  # non-trivial pre-logits/position weights
    for n, p in model.named_parameters():
        if "pos_embed" in n or "cls_token" in n:
            p.normal_(0, 0.5)
    model.pre_logits.fc.weight.mul_(8)  # spread the tanh features so clusters are far apart relative to fp32 noise
model.reset_classifier(C)
model.eval()

# Three image "styles" so the clustering has several clusters.
g = torch.Generator().manual_seed(1)
groups = [torch.randn(8, 3, IMG, IMG, generator=g) * s + o for s, o in [(0.5, -1.0), (1.0, 0.0), (0.5, 1.5)]]
cluster_images = torch.cat(groups)[torch.randperm(24, generator=g)]
with torch.no_grad():
    feats = model.forward_features(cluster_images).numpy().astype(np.float64)
from scipy.cluster import hierarchy  # noqa: E402
Z = hierarchy.linkage(feats, method="average", metric="euclidean")
d = np.sort(Z[:, 2])
TAU = float((d[-3] + d[-2]) / 2)  # → K = 3 clusters
print("top merge distances", d[-5:])


class Agglo(skc.AgglomerativeClustering):
    def __init__(self, **kw):
        kw["distance_threshold"] = TAU
        super().__init__(**kw)


adapter_mod.cluster.AgglomerativeClustering = Agglo
args = types.SimpleNamespace(pretrained_model="vit-b-22k", device="cpu", lr=0.1, weight_decay=0.0, wo_da=False,
                             test_dataset="tiny", prompt_size=PAD, crop_size=IMG, prompt_method="PadPrompter",
                             seed=0, adapt_method="prompt_w_head")
ad = adapter_mod.Adapter(args, model)
loader = [{"image": cluster_images[i:i + 8], "label": torch.zeros(8, dtype=torch.long)} for i in range(0, 24, 8)]
ad.coarse_clustering((loader, None, None))
K = ad.num_coarse_classes
labels_cluster = skc.AgglomerativeClustering(n_clusters=None, linkage="average", distance_threshold=TAU).fit(
    feats.astype(np.float32)).labels_

torch.manual_seed(2)
prompter = PadPrompter(args)
gather = [deepcopy(prompter) for _ in range(K)]
with torch.no_grad():  # distinct prompters so a wrong dispatch shows
    for k, p in enumerate(gather):
        for t in p.parameters():
            t.add_(0.1 * k)

images = torch.cat([gr[:2] for gr in groups])[torch.tensor([0, 2, 4, 1, 3, 5])]
labels = torch.tensor([0, 1, 2, 2, 1, 0])
with torch.no_grad():
    logits = model(ad.get_prompted_image(images, ad.prototype_gather, prompter_gather=gather))
model.head.train()
out = model(ad.get_prompted_image(images, ad.prototype_gather, prompter_gather=gather))
loss = ad.loss_function(out, labels)
loss.backward()

weights = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
grads = {}
for k, p in enumerate(gather):
    for n, t in p.named_parameters():
        weights[f"prompter_gather.{k}.{n}"] = t.detach().clone().contiguous()
        grads[f"grad/prompter_gather.{k}.{n}"] = t.grad.clone().contiguous()
for n, t in model.head.named_parameters():
    grads[f"grad/head.{n}"] = t.grad.clone().contiguous()
save_file(weights, os.path.join(HERE, "weights.safetensors"))
with torch.no_grad():
    rep = model.forward_features(images)
    dist = torch.sqrt((rep ** 2).sum(-1, keepdim=True) + (ad.prototype_gather ** 2).sum(-1, keepdim=True).T
                      - 2 * rep @ ad.prototype_gather.T)
io = {"cluster_images": cluster_images.contiguous(), "images": images.contiguous(),
      "labels": labels.float(), "prototypes": ad.prototype_gather.contiguous(),
      "cluster_labels": torch.tensor(labels_cluster, dtype=torch.float32),
      "assign": dist.argmin(-1).float(), "logits": logits.contiguous(), **grads}
save_file(io, os.path.join(HERE, "io.safetensors"))
json.dump({"commit": commit, "loss": loss.item(), "K": K, "threshold": TAU, "num_classes": C,
           "config": {"image": IMG, "patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp": 4 * DIM,
                      "prompt_size": PAD, "pre_logits": True},
           "torch": torch.__version__},
          open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("K", K, "tau", TAU, "loss", loss.item(), "assign", dist.argmin(-1).tolist())
