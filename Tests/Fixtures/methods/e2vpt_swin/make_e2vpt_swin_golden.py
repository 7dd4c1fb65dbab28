#!/usr/bin/env python3
"""Golden files for E2VPT on Swin (transfer type P_VK, MODEL.TYPE "swin"), made with ChengHan111/E2VPT's own classes
at a tiny size.

    E2VPT_SRC=/work/src/E2VPT /work/venv-torch/bin/python make_e2vpt_swin_golden.py

E2VPT_SRC is a checkout of ChengHan111/E2VPT (`git archive HEAD | tar -x`); E2VPT_COMMIT (or `git rev-parse` in
E2VPT_SRC) is recorded in meta.json. Nothing of the official code is copied: the script builds the official
`src.models.vit_models.Swin` (P_VK freezing rule, head `head.last_layer`) with the official `get_cfg()` (MODEL.TYPE
"swin", MODEL.TRANSFER_TYPE "P_VK", MODEL.P_VK.* per case). One monkeypatch only shrinks the model:
`vit_models.build_swin_model` → the official `PromptedSwinTransformer_Prompt_VK`
(src/models/vit_prompt/swin_transformer_prompt_VK.py) built with the tiny shape below instead of Swin-B's
(build_vit_backbone.py:193-205 passes embed_dim 128, depths [2, 2, 18, 2], heads [4, 8, 16, 32], window 7,
drop_path_rate 0.5, num_classes -1; feat_dim = embed_dim · 2^3), without loading a checkpoint.
Weights: official init under torch.manual_seed(0); norms, biases and relative-position tables re-randomised (so the
bias padding is exercised); in the mask case the two mask tensors are set to random values around 1.

Outputs: backbone.safetensors (the frozen tensors, official names, shared by every case: each case's model takes them
from the first case's after its own init), per case <case>.safetensors (its trainable tensors) and <case>_io.safetensors
with x, labels, logits (eval), loss (eval mode: dropout off) and grad/<name> of every trainable tensor; meta.json
"first_losses": the official Trainer's first 5 training losses on train_batches.safetensors (see first_losses).
"""
import json, os, subprocess, sys, types

import torch
from safetensors.torch import save_file

SRC = os.environ["E2VPT_SRC"]
sys.path.insert(0, SRC)
sys.modules.setdefault("turtle", types.SimpleNamespace(forward=None))  # `from turtle import forward` (unused)
import timm.layers  # noqa: E402
sys.modules.setdefault("timm.models.layers.helpers", types.SimpleNamespace(to_2tuple=timm.layers.to_2tuple))
# The MAE/MoCo P_VK backbones (imported, unused here) need a patched timm module the authors kept in their conda env;
# a placeholder lets the import succeed.
import timm.models  # noqa: E402
_placeholder = types.ModuleType("timm.models.vision_transformer_changeVK")
_placeholder.VisionTransformer_changeVK = torch.nn.Module
_placeholder._cfg = lambda *a, **k: {}
sys.modules["timm.models.vision_transformer_changeVK"] = _placeholder
timm.models.vision_transformer_changeVK = _placeholder

from src.configs.config import get_cfg  # noqa: E402
from src.models import vit_models  # noqa: E402
from src.models.vit_prompt.swin_transformer_prompt_VK import PromptedSwinTransformer_Prompt_VK  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
IMG, PATCH, EMBED, DEPTHS, HEADS, WINDOW, MLP_RATIO, CLASSES, BATCH = 32, 2, 8, [2, 2, 2, 2], [2, 2, 2, 2], 4, 1, 5, 3


def tiny_swin(model_type, crop_size, prompt_cfg, p_vk_cfg, model_root):
    assert prompt_cfg is None and p_vk_cfg is not None
    model = PromptedSwinTransformer_Prompt_VK(p_vk_cfg, img_size=crop_size, patch_size=PATCH, embed_dim=EMBED, depths=DEPTHS,
                                              num_heads=HEADS, window_size=WINDOW, mlp_ratio=MLP_RATIO, drop_path_rate=0.5,
                                              num_classes=-1)
    return model, EMBED * 2 ** (len(DEPTHS) - 1)


vit_models.build_swin_model = tiny_swin

# (P = NUM_TOKENS_P, K = NUM_TOKENS, extra P_VK options)
CASES = {
    # the Swin commands of tempo_command.txt (MASK_CLS_TOKEN left at its default True there; here off, then on)
    "swin_nomask": dict(NUM_TOKENS_P=3, NUM_TOKENS=2, MASK_CLS_TOKEN=False),
    # trainable token and piece masks on the first-stage prompts (4 pieces of an 8-wide token → 2 channels each, strided)
    "swin_mask": dict(NUM_TOKENS_P=3, NUM_TOKENS=2, MASK_CLS_TOKEN=True, CLS_TOKEN_P_PIECES_NUM=4),
    # key/value prompts appended behind the keys: the padded relative-position bias no longer lines up (official bug)
    "swin_behind": dict(NUM_TOKENS_P=2, NUM_TOKENS=3, MASK_CLS_TOKEN=False, LAYER_BEHIND=False),
    # no deep visual prompts: prompts travel through every block and patch merging, and are averaged per batch slot
    "swin_shallow": dict(NUM_TOKENS_P=2, NUM_TOKENS=2, MASK_CLS_TOKEN=False, DEEP_P=False),
}


def build(opts, seed=0):
    cfg = get_cfg()
    cfg.MODEL.TRANSFER_TYPE = "P_VK"
    cfg.MODEL.TYPE = "swin"
    cfg.MODEL.MLP_NUM = 0
    cfg.DATA.FEATURE = "swinb_imagenet22k_224"
    cfg.DATA.CROPSIZE = IMG
    cfg.DATA.NUMBER_CLASSES = CLASSES
    cfg.MODEL.P_VK.DEEP = True
    cfg.MODEL.P_VK.DEEP_P = True
    cfg.MODEL.P_VK.DROPOUT_P = 0.1
    cfg.MODEL.P_VK.ORIGIN_INIT = 2
    cfg.MODEL.P_VK.SHARE_PARAM_KV = True
    for k, v in opts.items():
        setattr(cfg.MODEL.P_VK, k, v)
    torch.manual_seed(seed)
    model = vit_models.Swin(cfg)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "mask_cls_token" in name:
                p.copy_(1 + 0.5 * (torch.rand(p.shape, generator=g) - 0.5))
            elif "relative_position_bias_table" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias") and "last_layer" not in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model


def main():
    commit = os.environ.get("E2VPT_COMMIT") or subprocess.run(
        ["git", "-C", SRC, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
    g = torch.Generator().manual_seed(123)
    x = torch.randn(BATCH, 3, IMG, IMG, generator=g)
    y = torch.tensor([0, 3, 1])
    meta = {"repo": "ChengHan111/E2VPT", "commit": commit, "config": dict(image=IMG, patch=PATCH, embed_dim=EMBED, depths=DEPTHS,
            heads=HEADS, window=WINDOW, mlp_ratio=MLP_RATIO, classes=CLASSES, batch=BATCH), "cases": {}}
    backbone = None
    for case, opts in CASES.items():
        model = build(opts)
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        if backbone is None:
            backbone = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items() if n not in trainable}
            save_file(backbone, os.path.join(OUT, "backbone.safetensors"))
        else:
            missing, unexpected = model.load_state_dict(backbone, strict=False)
            assert not unexpected and set(missing) == trainable, (missing, unexpected)
        weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items() if n in trainable}
        model.eval()
        with torch.no_grad():
            logits = model(x)
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        grads = {"grad/" + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
        save_file(weights, os.path.join(OUT, f"{case}.safetensors"))
        io = {"x": x, "labels": y.float(), "logits": logits, "loss": loss.detach().reshape(1)}
        io.update(grads)
        save_file(io, os.path.join(OUT, f"{case}_io.safetensors"))
        count = sum(p.numel() for p in model.parameters() if p.requires_grad)
        meta["cases"][case] = {"P_VK": opts, "trainable": sorted(k[5:] for k in grads), "trainable_count": count, "loss": float(loss)}
        print(case, "loss", float(loss), "trainable", count, sorted(k[5:] for k in grads))
    meta["first_losses"] = first_losses(backbone)
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


# First-5-losses settings (as the ViT golden, make_e2vpt_golden.py): 2 batches per "epoch", WarmupCosineSchedule
# (warmup 1, total 4) stepped per epoch — lr 0 in epoch 0 as in the official code, then 1.0, 0.75 of BASE_LR.
FL_LR, FL_WD, FL_MOMENTUM, FL_WARMUP, FL_TOTAL, FL_ITERS, FL_BATCH, FL_STEPS = 0.1, 1e-3, 0.9, 1, 4, 2, 4, 5


def first_losses(backbone):
    """The official `src.engine.trainer.Trainer` on the case's model (its make_optimizer: SGD, one group per tensor, no
    decay on last_layer.bias; make_scheduler; SoftmaxLoss), 5 fixed batches through `forward_one_batch(x, y, True)`,
    `scheduler.step()` every ITERS_PER_EPOCH batches; eval mode (prompt dropout off)."""
    # src/engine/trainer.py imports plotting / attribution libraries used only by its visualisation methods, and the
    # evaluator sklearn.metrics (evaluation only).
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.colors", "captum", "captum.attr", "captum.attr.visualization",
                 "pytorch_grad_cam", "pytorch_grad_cam.utils", "pytorch_grad_cam.utils.image", "cv2",
                 "sklearn", "sklearn.metrics"):
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.__getattr__ = lambda attr: None
            sys.modules[name] = stub
    from safetensors.torch import load_file
    from src.engine.trainer import Trainer
    g = torch.Generator().manual_seed(321)
    xs = torch.randn(FL_STEPS, FL_BATCH, 3, IMG, IMG, generator=g)
    ys = torch.randint(0, CLASSES, (FL_STEPS, FL_BATCH), generator=g)
    save_file({"x": xs.contiguous(), "y": ys.float().contiguous()}, os.path.join(OUT, "train_batches.safetensors"))
    out = dict(base_lr=FL_LR, weight_decay=FL_WD, momentum=FL_MOMENTUM, warmup_epoch=FL_WARMUP, total_epoch=FL_TOTAL,
               iters_per_epoch=FL_ITERS, batches="train_batches.safetensors", cases={})
    for case in ("swin_nomask", "swin_mask"):
        model = build(CASES[case])
        state = dict(backbone)
        state.update(load_file(os.path.join(OUT, f"{case}.safetensors")))
        model.load_state_dict(state)
        cfg = get_cfg()
        cfg.SOLVER.OPTIMIZER, cfg.SOLVER.SCHEDULER = "sgd", "cosine"
        cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY, cfg.SOLVER.MOMENTUM = FL_LR, FL_WD, FL_MOMENTUM
        cfg.SOLVER.WARMUP_EPOCH, cfg.SOLVER.TOTAL_EPOCH = FL_WARMUP, FL_TOTAL
        cfg.SOLVER.LOSS = "softmax"
        cfg.OUTPUT_DIR = "/tmp/e2vpt-swin-golden-out"
        trainer = Trainer(cfg, model, None, torch.device("cpu"))
        trainer.cls_weights = [1.0] * CLASSES  # get_class_weights("none")
        model.eval()
        losses, lrs = [], []
        for step in range(FL_STEPS):
            lrs.append(trainer.optimizer.param_groups[0]["lr"])
            loss, _ = trainer.forward_one_batch(xs[step], ys[step], True)
            losses.append(float(loss))
            if (step + 1) % FL_ITERS == 0:
                trainer.scheduler.step()
        out["cases"][case] = dict(losses=losses, lrs=lrs)
        print(case, "first losses", losses, "lrs", lrs)
    return out


if __name__ == "__main__":
    main()
