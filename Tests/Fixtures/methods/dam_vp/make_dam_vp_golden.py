"""Golden outputs of the official DAM-VP code at a tiny config (dev-time only; not run by the tests).

Usage: DAMVP_SRC=/tmp/src-damvp /work/venv-torch/bin/python make_dam_vp_golden.py
  (DAMVP_SRC = a checkout of shikiw/DAM-VP, e.g. `git --git-dir=/work/.mirror/shikiw+DAM-VP/repo archive HEAD | tar -x`)

Writes, next to this script:
  clustering.json      sklearn AgglomerativeClustering(linkage='average', distance_threshold=τ) labels of a fixed
                       matrix for several τ (the call of task_adapting/adapter.py:136-156)
  weights.safetensors  tiny official VisionTransformer (models/backbones/backbone_vit.py, representation_size set, so
                       `pre_logits.fc` + tanh) after reset_classifier(C), the K prompters `prompter_gather.{k}.*` and the
                       cluster prototypes `prototype_gather` (the Adapter attributes; what `bench probe --method dam-vp` reads)
  train_init.safetensors, train_batches.safetensors, golden.json "first_losses":
                       the official head-tuning loop (Adapter.our_method_with_head) run for 5 epochs of one fixed batch
                       each: its initial model/prompters/prototypes, the batches, its losses, lrs and optimiser groups
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
weights["prototype_gather"] = ad.prototype_gather.detach().clone().contiguous()  # Adapter.prototype_gather: `bench probe` input
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

# ---------------------------------------------------------------- 3. first 5 training losses of the official loop
# Adapter.our_method_with_head itself (adapter.py:273-373): load_prompter (torch.randn init, no meta checkpoint),
# reset_classifier, coarse_clustering, its SGD groups ('momemtum' typo), cosine_lr, train / val / test loops. Its
# training loader yields one fixed batch per epoch (epoch e → batch e; the first pass is the clustering's), 5 epochs,
# so the 5 losses span the warmup step and the cosine. Recorded by wrapping, not changing: loss_function (the loss
# values), utils.train_utils.cosine_lr as imported by adapter.py (every group's lr and momentum after each call) and
# load_prompter / reset_classifier (the initial state).
import json as _json
B2, E2, BASE_LR, WD = 4, 5, 0.5, 0.01
g2 = torch.Generator().manual_seed(7)
styles = [(0.5, -1.0), (1.0, 0.0), (0.5, 1.5)]
train_x = torch.stack([torch.cat([torch.randn(1, 3, IMG, IMG, generator=g2) * styles[(e + i) % 3][0] + styles[(e + i) % 3][1]
                                  for i in range(B2)]) for e in range(E2)])
train_y = torch.randint(0, C, (E2, B2), generator=g2)


class EpochLoader:
    """One batch per pass: pass 0 is the clustering's (the 24 cluster images), pass 1 + e is epoch e's training batch."""
    def __init__(self):
        self.passes = 0

    def __len__(self):
        return 1

    def __iter__(self):
        k = self.passes
        self.passes += 1
        if k == 0:
            return iter([{"image": cluster_images, "label": torch.zeros(24, dtype=torch.long)}])
        return iter([{"image": train_x[k - 1], "label": train_y[k - 1]}])


evalset = [{"image": images, "label": labels}]
rec = {"losses": [], "group_lrs": [], "group_momentum": [], "group_keys": None}
orig_cosine = adapter_mod.cosine_lr


def recording_cosine_lr(optimizer, base_lr, warmup_length, steps):
    inner = orig_cosine(optimizer, base_lr, warmup_length, steps)
    rec["warmup_length"], rec["steps"] = warmup_length, steps

    def adjust(step):
        lr = inner(step)
        rec["group_lrs"].append([g["lr"] for g in optimizer.param_groups])
        rec["group_momentum"].append([g["momentum"] for g in optimizer.param_groups])
        rec["group_weight_decay"] = [g["weight_decay"] for g in optimizer.param_groups]
        rec["group_keys"] = sorted(set(k for g in optimizer.param_groups for k in g if k != "params"))
        return lr
    return adjust


adapter_mod.cosine_lr = recording_cosine_lr
init = {}
args2 = types.SimpleNamespace(**{**vars(args), "lr": BASE_LR, "weight_decay": WD, "epochs": E2})
ad2 = adapter_mod.Adapter(args2, model)
orig_load = ad2.load_prompter


def recording_load(path=None):
    p = orig_load(path)
    for n, t in p.named_parameters():
        init[n] = t.detach().clone().contiguous()
    return p


ad2.load_prompter = recording_load
orig_reset = model.reset_classifier


def recording_reset(n, *a, **k):
    orig_reset(n, *a, **k)
    for n_, t in model.head.named_parameters():
        init["head." + n_] = t.detach().clone().contiguous()


model.reset_classifier = recording_reset
orig_loss = ad2.loss_function


def recording_loss(logits_, target):
    loss_ = orig_loss(logits_, target)
    rec["losses"].append(loss_.item())
    return loss_


ad2.loss_function = recording_loss
torch.manual_seed(11)
test_acc = ad2.our_method_with_head((EpochLoader(), evalset, evalset), None)
state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if not k.startswith("head.")}
state.update({k: v for k, v in init.items() if k.startswith("head.")})
state["prototype_gather"] = ad2.prototype_gather.detach().clone().contiguous()
for k in range(ad2.num_coarse_classes):  # deepcopy(prompter) × K (adapter.py:292-296): all start equal
    for n in ["pad_up", "pad_down", "pad_left", "pad_right"]:
        state[f"prompter_gather.{k}.{n}"] = init[n].clone()
save_file(state, os.path.join(HERE, "train_init.safetensors"))
save_file({"x": train_x.contiguous(), "y": train_y.float().contiguous()}, os.path.join(HERE, "train_batches.safetensors"))
gj = _json.load(open(os.path.join(HERE, "golden.json")))
gj["first_losses"] = dict(lr=BASE_LR, weight_decay=WD, epochs=E2, iters_per_epoch=1, batch=B2, K=ad2.num_coarse_classes,
                          losses=rec["losses"], group_lrs=rec["group_lrs"], group_momentum=rec["group_momentum"],
                          group_weight_decay=rec["group_weight_decay"], group_keys=rec["group_keys"],
                          warmup_length=rec["warmup_length"], steps=rec["steps"], test_acc=test_acc)
_json.dump(gj, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("first losses", rec["losses"], "K", ad2.num_coarse_classes, "lrs", rec["group_lrs"])
