"""DA-VPT train step with Noahsark/DA-VPT's own model code, for timing against `bench throughput --methods da-vpt`.

Dev-time only (torch + timm, no GPU): the checkout is named by DAVPT_SRC (a plain tree, e.g.
`git --git-dir=/work/.mirror/Noahsark+DA-VPT/repo archive HEAD | tar -x -C /tmp/src-davpt`).
Nothing of the official code is copied; this file only imports from the checkout and drives it:
  * `params.parse_args()` with an empty config file: the argparse defaults of params.py, which are our DAVPTConfig
    defaults (num_prompts 20, proxy_prompt_len 10, proxy layer 11 only, prompt_drop_rate 0, proxy_vpt off,
    vpt_loss_weight = cls_loss_weight = 0, vpt_norm none, mask off, drop_path 0, initial_mapping kmeans with
    kmeans_norm layer, dynamic_kmeans 0, no bias / norm / cls_token tuning flags); then `train.py`'s adjustment for
    fewer classes than proxies (all_classes);
  * `model_creator.create_model(args, C)` (tuning_type "prompt", model_name "vit-B"): the official builder of
    `models.vpt.PromptVisionTransformer` (ViT-B/16, 224 px, `VPTBlock` with `models.attn.VPTAttention` = separate q/k/v
    Linears), `load_model_parameters`, `reset_for_mapping_update`, `update_mapping`, `separate_qkv_params`, the learnable
    list + `set_learnable_parameters`, and the new `head` (trunc_normal .02 / 0). Trainable with the defaults:
    `proxy_prompt_tokens`, `other_prompt_tokens`, `head.{weight,bias}`;
  * the initial class → proxy mapping: `create_model` calls `generate_semantic_mapping(args, pretrain_model, context)`,
    which reads a dataset; it is replaced here by the same official steps on the synthetic batches (the input batch
    twice, as our `Throughput.measure` feeds `prepare` two copies of its batch): `models.vit.create_vit` +
    `load_model_parameters` + `separate_qkv_params` + eval `forward_features(x, labels)` (per-class mean CLS features),
    then `model_creator.generate_mapping` (official `cosine_kmeans`). The official k-means needs at least
    proxy_prompt_len classes with features (it raises ValueError otherwise; our Swift side stops on a precondition in
    the same case, i.e. `bench throughput --methods da-vpt` needs batch >= 10); with fewer, this file warns and falls back
    to the official `static_random_balanced_mapping` (c mod Lp). With the defaults (proxy_vpt off) the mapping does not
    enter the loss at all;
  * the loss of one step as `train.train_one_epoch` computes it: `model.reset_for_mapping_update(); model.train()`, then
    `logits, vpt_loss, _ = model(x, labels=y, update_mapping=False)` (dynamic_kmeans 0) and
    `nn.CrossEntropyLoss()(logits, y) + vpt_loss` (vpt_loss is the proxy-anchor term; 0 with proxy_vpt off).
    Not part of `loss` (the caller's step): the official `clip_grad_value_(10)` and the (CPU-disabled) GradScaler.
`logits` runs in eval mode (as the official `validate`) and restores the mode afterwards.
Random init: timm's init of the "pretrained" ViT (created with pretrained=False) copied into the prompted model as the
official code copies pretrained weights, prompts and head by the official initialisers; torch.manual_seed(0).

Shims, active only while `build` runs (the official code allocates some buffers on CUDA; everything runs on CPU):
`torch.zeros(..., device=...)` → CPU, `VPTCriterion.set_centroids` keeps the centroids on CPU (official: `.to('cuda')`),
`VPTAttention._generate_mask` on CPU (only with mask on), `timm.create_model(..., pretrained=True)` → pretrained=False,
and `VPTAttention.forward` accepting the `is_causal=False` that timm >= 1.0's `Block` passes (only the plain
`models.vit.VisionTransformer` of the mapping step runs timm's Block; the prompted model's `VPTBlock` does not).
The official modules have generic names (`models`, `utils`, `params`, `Dataset`, `model_creator`): one per process.
"""
import contextlib
import os
import sys
import warnings

import torch
import torch.nn as nn

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("DAVPT", "Noahsark/DA-VPT", "1a5ac60939bfe26a6cdbb6afadf0bdbd07cf3a9a")


def _import_official():
    if SRC not in sys.path:
        sys.path.insert(0, SRC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import model_creator
        import params
        import models.attn as attn_mod
        import models.criterion as criterion_mod
    for m in (model_creator, params):
        if not os.path.realpath(m.__file__).startswith(os.path.realpath(SRC)):
            raise RuntimeError(f"`{m.__name__}` was imported from {m.__file__}, not from DAVPT_SRC; use a fresh process")
    return model_creator, params, attn_mod, criterion_mod


@contextlib.contextmanager
def _cpu_shims(mc, attn_mod, criterion_mod, batches):
    """CUDA → CPU redirects and the synthetic initial mapping, undone on exit."""
    import timm
    saved = (torch.zeros, timm.create_model, mc.timm.create_model, mc.generate_semantic_mapping,
             criterion_mod.VPTCriterion.set_centroids, attn_mod.VPTAttention._generate_mask, attn_mod.VPTAttention.forward)
    zeros, create, _, _, set_centroids, generate_mask, attn_forward = saved

    def zeros_cpu(*a, **k):
        k.pop("device", None)
        return zeros(*a, **k)

    def create_no_download(name, pretrained=False, **k):
        return create(name, pretrained=False, **k)

    def set_centroids_cpu(self, centroids):
        set_centroids(self, None)
        self.centroids = centroids

    def attn_forward_compat(self, x, attn_mask=None, is_causal=False, **kw):
        # timm >= 1.0's Block passes is_causal (always False there) to the attention it holds
        assert not is_causal
        return attn_forward(self, x, attn_mask=attn_mask)

    def semantic_mapping_from_synthetic(args, model, context):
        # The steps of model_creator.generate_semantic_mapping after its data loader, on the synthetic batches.
        local = mc.create_vit(vit_size=args.model_name.split("-")[1], args=args, num_classes=args.num_classes,
                              global_pool=args.model_name.split("-")[0] == "mae")
        mc.load_model_parameters(model, local)
        local.separate_qkv_params()
        local.eval()
        with torch.no_grad():
            for x, y in batches:
                with context:
                    local.forward_features(x, labels=y)
        feats = local.get_cls_mean_feature()
        with_data = int((feats != 0).any(dim=1).sum())
        if with_data < args.proxy_prompt_len:
            warnings.warn(f"da-vpt: {with_data} classes in the synthetic batch < proxy_prompt_len {args.proxy_prompt_len}: "
                          "official cosine_kmeans would raise; using static_random_balanced_mapping (c mod Lp)")
            return mc.static_random_balanced_mapping(args.num_classes, args.proxy_prompt_len), None, None, None
        mapping, centroids, _ = mc.generate_mapping(args, feats, None)
        return mapping, centroids, None, None

    torch.zeros = zeros_cpu
    timm.create_model = mc.timm.create_model = create_no_download
    mc.generate_semantic_mapping = semantic_mapping_from_synthetic
    criterion_mod.VPTCriterion.set_centroids = set_centroids_cpu
    attn_mod.VPTAttention._generate_mask = lambda self, L, S, n, device: generate_mask(self, L, S, n, torch.device("cpu"))
    attn_mod.VPTAttention.forward = attn_forward_compat
    try:
        yield
    finally:
        (torch.zeros, timm.create_model, mc.timm.create_model, mc.generate_semantic_mapping,
         criterion_mod.VPTCriterion.set_centroids, attn_mod.VPTAttention._generate_mask, attn_mod.VPTAttention.forward) = saved


def build(batch: int, classes: int) -> dict:
    mc, params, attn_mod, criterion_mod = _import_official()
    argv = sys.argv
    sys.argv = ["train.py", "--config", os.devnull]  # params.py defaults, no yaml overrides
    try:
        args = params.parse_args()
    finally:
        sys.argv = argv
    args.device = "cpu"
    args.gpu = 0
    args.quiet_mode = True
    args.num_classes = classes
    # train.py train(): fewer classes than proxies → one proxy per class
    if args.num_classes < args.proxy_prompt_len:
        args.proxy_prompt_len = args.num_classes
        args.initial_mapping = "all_classes"

    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, 224, 224, generator=g)
    y = torch.arange(batch) % classes

    torch.manual_seed(0)
    with _cpu_shims(mc, attn_mod, criterion_mod, [(x, y), (x, y)]):
        model = mc.create_model(args=args, num_class=classes, context=contextlib.nullcontext(), device=torch.device("cpu"))
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model).float().cpu()
        model.reset_for_mapping_update()  # train_one_epoch, tuning_type "prompt"
    model.train()
    epoch = 0
    update_mapping = args.tuning_type == "prompt" and args.dynamic_kmeans > 0 and epoch >= args.dynamic_kmeans
    criterion = nn.CrossEntropyLoss()

    def loss(images, labels):
        # train.train_one_epoch: logits, vpt_loss_val, _ = model(images, labels=..., update_mapping=...);
        # total_loss = criterion(logits, labels) + vpt_loss_val
        logits, vpt_loss_val, _ = model(images, labels=labels, update_mapping=update_mapping)
        return criterion(logits, labels) + vpt_loss_val

    def logits(images):
        was = model.training
        model.eval()
        try:
            return model(images)[0]  # train.validate: logits, _, _ = model(images)
        finally:
            model.train(was)

    return {
        "params": [p for p in model.parameters() if p.requires_grad],
        "loss": loss,
        "logits": logits,
        "input": x,
        "labels": y,
        "source": dict(SOURCE),
    }
