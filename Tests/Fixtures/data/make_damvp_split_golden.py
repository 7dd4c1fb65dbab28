#!/usr/bin/env python3
"""Golden DAM-VP HTA train/val splits for GTSRB and Food-101 from the official dataset classes (dev time only).

DAM-VP cuts these splits in code: after `set_seed(args.seed)` (default 2023) `task_adapting/main.py` builds the
train dataset, then the val dataset; each shuffles the official training list with Python's `random`.
This script imports the official modules from a checkout and runs them on tiny trees (file names only; the
classes never open an image while they are built), then writes, for each dataset, the official list and the
indices into it that the train and val datasets hold. `Tests/DataTests/DAMVPSplitTests.swift` checks the
suite's replay (`TrainValRule.pythonShuffled`) against them. It contains none of DAM-VP's code.

Needs: a checkout of github.com/shikiw/DAM-VP named by DAMVP_SRC, torch, torchvision, iopath, simplejson,
termcolor, pandas, tqdm.
Run:   DAMVP_SRC=/path/to/DAM-VP python Tests/Fixtures/data/make_damvp_split_golden.py
Writes Tests/Fixtures/data/damvp_splits/golden.json.
"""
import json, os, subprocess, sys, tempfile
from types import SimpleNamespace

SRC = os.environ.get("DAMVP_SRC")
if not SRC or not os.path.isdir(SRC):
    sys.exit("set DAMVP_SRC to a checkout of github.com/shikiw/DAM-VP")
sys.path.insert(0, SRC)
commit = subprocess.run(["git", "--git-dir", os.path.join(SRC, ".git") if os.path.isdir(os.path.join(SRC, ".git")) else SRC,
                         "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()

from utils.functional import set_seed  # official
from data_utils.datasets.gtsrb.dataset import GTSRB  # official
from data_utils.datasets.food101.dataset import Food101  # official
from torchvision.datasets.folder import make_dataset

SEED = 2023  # arguments.py: --seed default
HERE = os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp()
args = SimpleNamespace(data_dir=tmp, crop_size=224, pretrained_model="vit-b-22k")

# GTSRB: 5 classes with 41 .ppm files each (plus a CSV the loader must ignore), as torchvision's tree.
gt = os.path.join(tmp, "gtsrb", "GTSRB", "Training")
for c in range(5):
    d = os.path.join(gt, f"{c:05d}")
    os.makedirs(d)
    open(os.path.join(d, f"GT-{c:05d}.csv"), "w").close()
    for k in range(41):
        open(os.path.join(d, f"{k // 30:05d}_{k % 30:05d}.ppm"), "w").close()
# Food-101: meta/train.json with 4 classes × 25 ids, keys deliberately not in sorted order.
meta = {cls: [f"{cls}/{1000 + 7 * k}" for k in range(25)] for cls in ["ramen", "apple_pie", "sushi", "baklava"]}
os.makedirs(os.path.join(tmp, "food-101", "meta"))
os.makedirs(os.path.join(tmp, "food-101", "images"))
json.dump(meta, open(os.path.join(tmp, "food-101", "meta", "train.json"), "w"))

out = {"damvp_commit": commit, "seed": SEED, "percentage": 0.8}

set_seed(SEED)
tr, va = GTSRB(args, "train", download=False), GTSRB(args, "val", download=False)
# The list the official code shuffles: torchvision's make_dataset, called as the official code calls it.
official = [os.path.relpath(p, gt) for p, _ in make_dataset(gt, extensions=(".ppm",))]
pos = {n: i for i, n in enumerate(official)}
out["gtsrb"] = {"official": official,
                "train": [pos[os.path.relpath(p, gt)] for p, _ in tr._samples],
                "val": [pos[os.path.relpath(p, gt)] for p, _ in va._samples]}

set_seed(SEED)
ftr, fva = Food101(args, "train", download=False), Food101(args, "val", download=False)
official = [r for cls in meta for r in meta[cls]]  # the json's key order, as the official loop reads it
pos = {r: i for i, r in enumerate(official)}
def rel(p):
    return os.path.relpath(str(p), os.path.join(tmp, "food-101", "images"))[:-4]
out["food101"] = {"official": official,
                  "train": [pos[rel(p)] for p in ftr._image_files],
                  "val": [pos[rel(p)] for p in fva._image_files]}

dest = os.path.join(HERE, "damvp_splits")
os.makedirs(dest, exist_ok=True)
with open(os.path.join(dest, "golden.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", os.path.join(dest, "golden.json"), "from DAM-VP", commit)
