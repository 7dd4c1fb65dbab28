"""Full fine-tuning train step with KMnP/vpt's own ViT, for timing against `bench throughput --methods full`.

Dev-time only (torch + timm + ml_collections + fvcore/yacs, no GPU): the checkout is named by VPT_SRC (a plain tree,
e.g. `git --git-dir=/work/.mirror/KMnP+vpt/repo archive HEAD | tar -x -C /tmp/src-KMnP+vpt`).
Nothing of the official code is copied; this file only imports from the checkout:
  * `src.configs.config.get_cfg` with MODEL.TRANSFER_TYPE "end2end", DATA.FEATURE "sup_vitb16_224" (ViT-B/16, 224 px,
    `src/configs/vit_configs.py`: dropout_rate 0.1, attention_dropout_rate 0.0), DATA.NUMBER_CLASSES, MLP_NUM 0;
  * `src.models.vit_models.ViT(cfg, load_pretrain=False)` → `build_vit_sup_models` → the plain `VisionTransformer`
    (src/models/vit_backbones/vit.py) with head `head.last_layer` (src/models/mlp.py). "end2end" freezes nothing: every
    backbone tensor and the head train (what ours does: FullFinetune);
  * `src.solver.losses.build_loss` — SoftmaxLoss with the class weights of DATA.CLASS_WEIGHTS_TYPE "none" (all 1), called
    as `Trainer.forward_one_batch` (src/engine/trainer.py) calls it.
Mode: `model.train()` as `Trainer.train_classifier` sets it. "end2end" is the one transfer type whose encoder is not put
back into eval (`ViT.forward` does that only for frozen encoders), so the backbone's Dropout(0.1) layers (Embeddings,
Mlp) act during the step, as in our FullFinetune (backbone dropout 0.1 in training). `logits` runs in eval mode (as the
official eval loop) and restores the mode afterwards.
Random init: the official initialisers under torch.manual_seed(0); no pretrained weights.

Import shims (same as Tests/Fixtures/methods/vpt/make_vpt_golden.py): `turtle` (an unused import in vit_backbones/vit.py)
and timm's moved `timm.models.layers.helpers.to_2tuple` (imported by the unused MoCo backbones).

Shared with e2vpt.py (E2VPT forks this codebase): Benchmarks/official/vpt_codebase.py. Uses the package name `src`: one of the two per process.
"""
import functools

import checkout  # Benchmarks/official/checkout.py
import vpt_codebase

SRC, SOURCE = checkout.source("VPT", "KMnP/vpt", "4410440ec1b489f24f66b9fad3d9b10ff3443567")


@functools.cache
def _import_official():
    return vpt_codebase.import_official(SRC)


def build(batch: int, classes: int) -> dict:
    # "end2end" leaves the encoder in train mode under model.train(): Dropout(0.1) on, every tensor trains.
    return vpt_codebase.build(_import_official(), SOURCE, "end2end", batch, classes, {"MODEL.MLP_NUM": 0})
