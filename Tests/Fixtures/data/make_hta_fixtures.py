#!/usr/bin/env python3
"""Builds the HTA / ILM-VP / VTAB-TFDS reader fixtures under Tests/Fixtures/data/hta (dev time only; committed).

Needs numpy, Pillow, scipy and torchvision (for `make_dataset`, the file order DAM-VP's GTSRB loader uses).
Run: /work/venv-torch/bin/python Tests/Fixtures/data/make_hta_fixtures.py
Writes tiny trees in the real layouts and `hta/expected.json` with the sample order/labels the official
loaders' rules give (CPython `random.seed` + `random.shuffle` for GTSRB/Food-101, as DAM-VP does).
TFRecords are written by hand (protobuf wire format + masked CRC32C), no TensorFlow needed.
"""
import json, os, pickle, random, shutil, struct
import numpy as np
import scipy.io
from PIL import Image
from torchvision.datasets.folder import make_dataset

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hta")
shutil.rmtree(OUT, ignore_errors=True)
rng = np.random.default_rng(7)
TV = os.path.join(OUT, "torchvision_dataset")
expected = {}


def mk(p):
    os.makedirs(p, exist_ok=True)
    return p


def tiny(h=6, w=5):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


# ---------------------------------------------------------------- CIFAR (python pickles, protocol 2, bytes keys as
# `pickle.load(f, encoding="bytes")` shows the real Python-2 files)
d = mk(os.path.join(TV, "cifar-10-batches-py"))
labels10 = {}
for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
    n = 2 if name != "test_batch" else 3
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labs = [int(x) for x in rng.integers(0, 10, n)]
    labels10[name] = labs
    pickle.dump({b"batch_label": name.encode(), b"labels": labs, b"data": data,
                 b"filenames": [f"img{j}.png".encode() for j in range(n)]}, open(os.path.join(d, name), "wb"), protocol=2)
    if name == "data_batch_2":
        expected["cifar10_batch2_img0"] = data[0].reshape(3, 32, 32).transpose(1, 2, 0).reshape(-1)[:48].tolist()
expected["cifar10_train_labels"] = sum((labels10[f"data_batch_{k}"] for k in range(1, 6)), [])
expected["cifar10_test_labels"] = labels10["test_batch"]
d = mk(os.path.join(TV, "cifar-100-python"))
for name, n in [("train", 5), ("test", 2)]:
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    fine = [int(x) for x in rng.integers(0, 100, n)]
    pickle.dump({b"filenames": [b"a.png"] * n, b"batch_label": b"x", b"fine_labels": fine,
                 b"coarse_labels": [f // 5 for f in fine], b"data": data}, open(os.path.join(d, name), "wb"), protocol=2)
    expected[f"cifar100_{name}_labels"] = fine

# ---------------------------------------------------------------- SVHN (.mat v5, X [32,32,3,N] uint8, y [N,1] with 10 = digit 0)
for name, n in [("train", 5), ("test", 2)]:
    X = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = np.array([[10], [3], [1], [10], [9]][:n], dtype=np.uint8)
    scipy.io.savemat(os.path.join(TV, f"{name}_32x32.mat"), {"X": X, "y": y})
    if name == "train":
        expected["svhn_train_img1"] = X[:, :, :, 1].reshape(-1)[:48].tolist()  # HWC of sample 1

# ---------------------------------------------------------------- GTSRB (torchvision layout)
g = os.path.join(TV, "gtsrb")
for c in range(3):
    cd = mk(os.path.join(g, "GTSRB", "Training", f"{c:05d}"))
    for k in range(4 - c % 2):
        Image.fromarray(tiny()).save(os.path.join(cd, f"{c:05d}_{k:05d}.ppm"))
    open(os.path.join(cd, f"GT-{c:05d}.csv"), "w").write("Filename;ClassId\n")  # real tree has these; not images
td = mk(os.path.join(g, "GTSRB", "Final_Test", "Images"))
rows = ["Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"]
test_labels = [2, 0, 1]
for k, lab in enumerate(test_labels):
    Image.fromarray(tiny()).save(os.path.join(td, f"{k:05d}.ppm"))
    rows.append(f"{k:05d}.ppm;5;6;0;0;4;5;{lab}")
open(os.path.join(g, "GT-final_test.csv"), "w").write("\r\n".join(rows) + "\r\n")
train_dir = os.path.join(g, "GTSRB", "Training")
samples = make_dataset(train_dir, extensions=(".ppm",))
rel = lambda p: os.path.relpath(p, OUT)
random.seed(2023)
s1 = list(samples); random.shuffle(s1)
s2 = list(samples); random.shuffle(s2)
k = int(0.8 * len(samples))
expected["gtsrb_train"] = [[rel(p), l] for p, l in s1[:k]]
expected["gtsrb_val"] = [[rel(p), l] for p, l in s2[k:]]
expected["gtsrb_official_train"] = [[rel(p), l] for p, l in samples]
random.seed(3407)
s3 = list(samples); random.shuffle(s3)
expected["gtsrb_insvp_train"] = [[rel(p), l] for p, l in s3[:k]]
expected["gtsrb_test_labels"] = test_labels

# ---------------------------------------------------------------- Food-101 (meta json, keys deliberately not sorted)
f = os.path.join(TV, "food-101")
meta = {"ramen": [], "apple_pie": [], "sushi": []}
for cls in meta:
    mk(os.path.join(f, "images", cls))
    for k in range(4):
        Image.fromarray(tiny(7, 6)).save(os.path.join(f, "images", cls, f"{100 + k}.jpg"), quality=90)
        meta[cls].append(f"{cls}/{100 + k}")
train_meta = {c: v[:3] for c, v in meta.items()}
test_meta = {c: v[3:] for c, v in meta.items()}
mk(os.path.join(f, "meta"))
json.dump(train_meta, open(os.path.join(f, "meta", "train.json"), "w"), indent=1)
json.dump(test_meta, open(os.path.join(f, "meta", "test.json"), "w"))
classes = sorted(train_meta)
flat = [(classes.index(c), f"torchvision_dataset/food-101/images/{p}.jpg") for c, ps in train_meta.items() for p in ps]
random.seed(2023)
z1 = list(flat); random.shuffle(z1)
z2 = list(flat); random.shuffle(z2)
k = int(0.8 * len(flat))
expected["food_train"] = [[p, l] for l, p in z1[:k]]
expected["food_val"] = [[p, l] for l, p in z2[k:]]
expected["food_test"] = [[f"torchvision_dataset/food-101/images/{p}.jpg", classes.index(c)] for c, ps in test_meta.items() for p in ps]

# ---------------------------------------------------------------- DTD (partition 1 label lists)
dd = os.path.join(TV, "dtd", "dtd")
mk(os.path.join(dd, "labels"))
lists = {"train": ["zigzagged/zigzagged_0001.jpg", "banded/banded_0001.jpg", "banded/banded_0002.jpg"],
         "val": ["banded/banded_0003.jpg", "zigzagged/zigzagged_0002.jpg"],
         "test": ["zigzagged/zigzagged_0003.jpg"]}
for split, items in lists.items():
    open(os.path.join(dd, "labels", f"{split}1.txt"), "w").write("\n".join(items) + "\n")
    for it in items:
        mk(os.path.join(dd, "images", os.path.dirname(it)))
        Image.fromarray(tiny()).save(os.path.join(dd, "images", it), quality=90)

# ---------------------------------------------------------------- CoOp split.json (ILM-VP layout: <data_path>/flowers102/{split.json,images/})
cf = os.path.join(OUT, "ilm", "flowers102")
split = {"train": [], "val": [], "test": []}
for i, (sp, lab) in enumerate([("train", 0), ("train", 1), ("train", 101), ("val", 1), ("test", 0), ("test", 5)]):
    p = f"jpg/image_{i:05d}.jpg"
    mk(os.path.join(cf, "images", "jpg"))
    Image.fromarray(tiny()).save(os.path.join(cf, "images", p), quality=90)
    split[sp].append([p, lab, f"class {lab}"])
json.dump(split, open(os.path.join(cf, "split.json"), "w"), indent=2)


# ---------------------------------------------------------------- TFDS shards (hand-written TFRecord + Example)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def masked(b):
    c = crc32c(b)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])


def ld(field, payload):  # length-delimited field
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def feature(v):
    if isinstance(v, bytes):
        return ld(1, ld(1, v))  # BytesList
    if v and isinstance(v[0], float):
        return ld(2, ld(1, struct.pack(f"<{len(v)}f", *v)))  # FloatList, packed
    return ld(3, ld(1, b"".join(varint(x) for x in v)))  # Int64List, packed


def example(feats):
    entries = b"".join(ld(1, ld(1, k.encode()) + ld(2, feature(v))) for k, v in feats.items())
    return ld(1, entries)


def png(arr):
    import io
    b = io.BytesIO(); Image.fromarray(arr).save(b, format="PNG"); return b.getvalue()


def write_tfds(name, version_dir, splits):
    mk(version_dir)
    info = {"name": name, "splits": []}
    for sp, records in splits.items():
        path = os.path.join(version_dir, f"{name}-{sp}.tfrecord-00000-of-00001")
        with open(path, "wb") as fh:
            for r in records:
                ln = struct.pack("<Q", len(r))
                fh.write(ln + struct.pack("<I", masked(ln)) + r + struct.pack("<I", masked(r)))
        info["splits"].append({"name": sp, "shardLengths": [str(len(records))]})
    json.dump(info, open(os.path.join(version_dir, "dataset_info.json"), "w"))


TF = os.path.join(OUT, "tfds")
thr_clevr = np.array([0.0, 8.0, 8.5, 9.0, 9.5, 10.0, 100.0], dtype=np.float32)
clevr = {"train": [], "validation": []}
exp_clevr = {"train": {"count": [], "dist": []}, "validation": {"count": [], "dist": []}}
for sp, n in [("train", 10), ("validation", 3)]:
    for i in range(n):
        k = 3 + (i % 5)
        coords = rng.uniform(7.0, 11.0, (k, 3)).astype(np.float32)
        clevr[sp].append(example({"image": png(tiny(4, 5)), "objects/size": [int(x) for x in rng.integers(0, 2, k)],
                                  "objects/pixel_coords": [float(x) for x in coords.reshape(-1)]}))
        d = coords[:, 2].min()
        exp_clevr[sp]["count"].append(k - 3)
        exp_clevr[sp]["dist"].append(int(np.max(np.where(thr_clevr - d < 0))))
write_tfds("clevr", os.path.join(TF, "clevr", "3.1.0"), clevr)
expected["clevr"] = exp_clevr

thr_kitti = np.array([-100.0, 8.0, 20.0, 999.0], dtype=np.float32)
kitti = {"train": [], "validation": [], "test": []}
exp_kitti = {}
for sp, n in [("train", 4), ("validation", 2), ("test", 2)]:
    exp_kitti[sp] = []
    for i in range(n):
        k = 1 + i % 3
        types = [int(x) for x in rng.integers(0, 6, k)]
        if i == 0: types = [5] * k  # no vehicle → the 1000 sentinel → last class
        loc = rng.uniform(2.0, 30.0, (k, 3)).astype(np.float32)
        kitti[sp].append(example({"image": png(tiny(4, 6)), "objects/type": types,
                                  "objects/location": [float(x) for x in loc.reshape(-1)]}))
        z = np.concatenate([loc[np.array(types) < 3, 2], np.array([1000.0], np.float32)])
        exp_kitti[sp].append(int(np.max(np.where(thr_kitti - z.min() < 0))))
write_tfds("kitti", os.path.join(TF, "kitti", "3.2.0"), kitti)
expected["kitti"] = exp_kitti

dspr = {"train": []}
exp_d = {"loc": [], "ori": []}
for i in range(20):
    x, o = int(rng.integers(0, 32)), int(rng.integers(0, 40))
    img = (rng.integers(0, 2, (4, 4, 1)) ).astype(np.uint8)
    dspr["train"].append(example({"image": png(img[:, :, 0]), "label_x_position": [x], "label_orientation": [o]}))
    exp_d["loc"].append(int(np.floor(np.float32(x) / np.float32(2.0))))
    exp_d["ori"].append(int(np.floor(np.float32(o) / np.float32(2.5))))
    if i == 0:
        exp_d["img0"] = (img[:, :, 0] * 255).reshape(-1).tolist()
write_tfds("dsprites", os.path.join(TF, "dsprites", "2.0.0"), dspr)
expected["dsprites"] = exp_d

# ---------------------------------------------------------------- bad inputs the Swift tests copy over good files
bad = mk(os.path.join(OUT, "bad"))
pickle.dump({b"labels": [3, 10], b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8)},
            open(os.path.join(bad, "cifar10_label10"), "wb"), protocol=2)
pickle.dump({b"labels": [3, 1], b"data": rng.integers(0, 256, (2, 3071), dtype=np.uint8)},
            open(os.path.join(bad, "cifar10_shape"), "wb"), protocol=2)
scipy.io.savemat(os.path.join(bad, "svhn_y11.mat"), {"X": rng.integers(0, 256, (32, 32, 3, 2), dtype=np.uint8),
                                                      "y": np.array([[1], [11]], dtype=np.uint8)})
scipy.io.savemat(os.path.join(bad, "svhn_noX.mat"), {"y": np.array([[1], [2]], dtype=np.uint8)})

json.dump(expected, open(os.path.join(OUT, "expected.json"), "w"), indent=0)
total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
print(f"wrote {OUT}: {total} bytes")
