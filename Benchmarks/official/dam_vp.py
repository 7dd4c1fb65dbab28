"""DAM-VP (head-tuning version) train step with the OFFICIAL PyTorch code, for comparison with
`bench throughput --methods dam-vp`.

Dev-time only (needs torch, timm, scikit-learn, simplejson, termcolor, iopath):

    DAMVP_SRC=/tmp/src-damvp /work/venv-torch/bin/python -c \
        'import sys; sys.path.insert(0, "Benchmarks/official"); import dam_vp; d = dam_vp.build(2, 100)'

DAMVP_SRC is a plain checkout of shikiw/DAM-VP at SOURCE["commit"]. Nothing of it is copied here. Used:
  - arguments.Arguments("task_adapting") with `--pretrained_model vit-b-22k --adapt_method prompt_w_head` (our
    DAMVPConfig defaults: prompt_size 30 (the official default), τ = 10 from the vit-b-22k entry, wo_da false);
  - models.backbones.backbone_vit.VisionTransformer built with the arguments `ViT_B_21K`
    (models/model_zoo/vit.py:31-40) gives timm's `create_model('jx_vit_base_patch16_224_in21k', ...)`, i.e. the
    registered function backbone_vit.py:440-447: patch 16, width 768, depth 12, 12 heads, representation_size 768
    (pre_logits fc + tanh: 21843 classes = the cfg's default, so it is kept — but left out by default here, see the
    backbone NOTE below), drop_rate 0 (--drop), drop_path_rate 0.1
    (--drop_path; inactive, the Adapter puts the model in eval mode). Random init (the official `_init_vit_weights`),
    no checkpoint (`_load_checkpoint` is not called);
  - task_adapting.adapter.Adapter: load_prompter (models.prompters.padding → PadPrompter, no meta checkpoint),
    model.reset_classifier(classes), coarse_clustering, get_prompted_image, loss_function — the set-up lines of
    `Adapter.our_method_with_head` (adapter.py:273-303) in its order, then its training-step forward (:319-326).
The clustering runs once in build() on the same synthetic data our Throughput.measure gives DAMVP.prepare: a loader
of two batches, both equal to the input (so the 2·batch features hold each image twice; K ≤ batch). K copies of the
(random) prompter are made (deepcopy, :292-296).

Train step (adapter.py:319-326): nearest-prototype assignment on the un-prompted images (no grad), each image through
its cluster's PadPrompter, `self.model(prompted)` (backbone eval mode, new head in train mode — a Linear, so no
effect), `loss_function` = nn.CrossEntropyLoss. Params = the SGD groups: every prompter of prompter_gather, then the head.
Logits: the validation forward (:331-338), the same calls under no_grad; the official loop changes no mode for it.

NOTE (official behaviour kept): the official code never sets requires_grad=False, so its backward also computes
(unused) gradients for every backbone weight. That is the default here. Set OFFICIAL_BENCH_FREEZE=1 to set
requires_grad=False on the backbone (everything but the prompters and the head), which is what our Swift step computes.
NOTE (backbone difference, default follows OUR bench): the official vit-b-22k backbone has pre_logits (Linear 768→768
+ tanh) before the head and in the clustering features, while `bench throughput --backbone vit-b16` builds
ViTConfig.vitB16() with preLogits false. The clustering depends on it: on a random ViT-B/16 with this synthetic input,
tanh features put every image into one cluster (K = 1) and the plain LayerNorm CLS features give K = batch. By default
the official class is built without it (representation_size None), so K, the prompters and the trainable count equal
ours; DAMVP_PRE_LOGITS=1 builds it with pre_logits as the official vit-b-22k run has it.
"""
import functools
import os
import sys
import types
from copy import deepcopy

import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("DAMVP", "shikiw/DAM-VP", "dec5821ecbee908c4d9efcb66fe81eb553849574")
IMAGE_SIZE = 224
FLAGS = ["--pretrained_model", "vit-b-22k", "--adapt_method", "prompt_w_head", "--prompt_size", "30", "--crop_size", "224"]


@functools.cache
def _import_official():
    """The official modules, imported once."""
    import sklearn.cluster  # noqa: F401  (before the pandas stub below, which sklearn must never see)
    import timm.models.helpers as th
    stubs = {}
    for name in ("pandas", "tkinter", "tkinter.messagebox"):  # unused imports of adapter.py / utils/functional.py
        stubs[name] = types.ModuleType(name)
        stubs[name].NO = None
    # data_utils/loader.py imports every dataset module; the head-tuning set-up only asks it for the class count.
    stubs["data_utils.loader"] = types.ModuleType("data_utils.loader")
    stubs["data_utils.loader"]._dataset_class_num = None  # set per build()
    # models/backbones/__init__.py imports the Swin/MoCo files (timm-0.4 internals); import backbone_vit alone.
    stubs["models.backbones"] = types.ModuleType("models.backbones")
    stubs["models.backbones"].__path__ = [os.path.join(SRC, "models", "backbones")]
    added = not hasattr(th, "overlay_external_default_cfg")  # imported by backbone_vit.py, gone in timm 1.x, unused
    if added:
        th.overlay_external_default_cfg = lambda *a, **k: None
    names = ["models", "utils", "data_utils", "task_adapting", "arguments", "adapter", *stubs]
    try:
        with checkout.official_imports(SRC, names, stubs):
            import data_utils
            data_utils.loader = stubs["data_utils.loader"]
            from models.backbones import backbone_vit
            from arguments import Arguments
            import task_adapting.adapter as adapter_mod
    finally:
        if added:
            del th.overlay_external_default_cfg
    appended = os.path.join(os.path.dirname(os.path.abspath(adapter_mod.__file__)), "../")
    if appended in sys.path:
        sys.path.remove(appended)  # adapter.py appends its parent directory to sys.path at import
    return backbone_vit, Arguments, adapter_mod


def build(batch: int, classes: int) -> dict:
    backbone_vit, Arguments, adapter_mod = _import_official()
    adapter_mod.data_loader._dataset_class_num = lambda name: classes
    args = Arguments(stage="task_adapting").parser().parse_args(FLAGS)
    args.device = "cpu"  # task_adapting/main.py:82 without CUDA
    torch.manual_seed(0)
    pre_logits = os.environ.get("DAMVP_PRE_LOGITS", "0") == "1"
    model = backbone_vit.VisionTransformer(
        img_size=args.crop_size, patch_size=16, embed_dim=768, depth=12, num_heads=12,
        representation_size=768 if pre_logits else None, num_classes=21843,
        drop_rate=args.drop, drop_path_rate=args.drop_path)

    ad = adapter_mod.Adapter(args, model)  # model.eval()
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(batch, 3, IMAGE_SIZE, IMAGE_SIZE, generator=g)
    y0 = torch.arange(batch) % classes
    # Adapter.our_method_with_head, set-up (adapter.py:276-303)
    prompter = ad.load_prompter(None)
    num_classes = adapter_mod.data_loader._dataset_class_num(args.test_dataset)
    ad.model.reset_classifier(num_classes)
    ad.model.get_classifier().to(args.device)
    train_loader = [{"image": x0, "label": y0}, {"image": x0, "label": y0}]  # our Throughput's 2 synthetic batches
    ad.coarse_clustering((train_loader, None, None))
    ad.model.get_classifier().train()
    prompter_gather = [deepcopy(prompter) for _ in range(ad.num_coarse_classes)]
    params = [p for pr in prompter_gather for p in pr.parameters()] + list(ad.model.get_classifier().parameters())
    if os.environ.get("OFFICIAL_BENCH_FREEZE") == "1":
        keep = {id(p) for p in params}
        for p in ad.model.parameters():
            p.requires_grad_(id(p) in keep)

    def loss(x, y):  # adapter.py:324-326
        prompted_image = ad.get_prompted_image(x, ad.prototype_gather, prompter_gather=prompter_gather)
        logits_ = ad.model(prompted_image)
        return ad.loss_function(logits_, y)

    def logits(x):  # adapter.py:335-337
        prompted_image = ad.get_prompted_image(x, ad.prototype_gather, prompter_gather=prompter_gather)
        return ad.model(prompted_image)

    return {"params": params, "loss": loss, "logits": logits, "input": x0, "labels": y0, "source": dict(SOURCE)}
