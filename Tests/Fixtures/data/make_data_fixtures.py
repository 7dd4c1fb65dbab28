#!/usr/bin/env python3
"""Builds the DataTests fixtures (dev time only; outputs are committed).

Needs numpy, Pillow, scipy and tensorflow (CPU) for the tf.image.resize golden and the TFRecord shards.
Run from anywhere: python3 Tests/Fixtures/data/make_data_fixtures.py
Everything is deterministic (fixed numpy seed) and tiny (< 1 MB in all).
"""
import io, json, os, shutil
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1234)


def smooth_image(h, w, seed):
    """A smooth colourful image with some texture (JPEG-friendly, exercises interpolation)."""
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([
        128 + 100 * np.sin(x / 3.1 + r.uniform(0, 6)) * np.cos(y / 4.3),
        128 + 90 * np.cos((x + y) / 5.7 + r.uniform(0, 6)),
        128 + 110 * np.sin(y / 2.3 + r.uniform(0, 6)),
    ], -1) + r.normal(0, 12, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def reset(d):
    p = os.path.join(HERE, d)
    shutil.rmtree(p, ignore_errors=True)
    os.makedirs(p)
    return p


# ------------------------------------------------------------------ decode goldens
d = reset("decode")
manifest = {}
base = smooth_image(21, 27, 1)
def save(name, im, **kw):
    path = os.path.join(d, name)
    im.save(path, **kw)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    rgb.tofile(path + ".rgb")
    manifest[name] = [rgb.shape[1], rgb.shape[0]]

save("rgb420.jpg", Image.fromarray(base), quality=85, subsampling=2)
save("rgb444.jpg", Image.fromarray(base), quality=90, subsampling=0)
save("rgb422.jpg", Image.fromarray(base), quality=75, subsampling=1)
save("progressive.jpg", Image.fromarray(base), quality=80, progressive=True)
save("gray.jpg", Image.fromarray(base[..., 0]), quality=85)
save("cmyk.jpg", Image.fromarray(base).convert("CMYK"), quality=90)
save("rgb8.png", Image.fromarray(base))
save("palette.png", Image.fromarray(base).quantize(16))
pal = Image.fromarray(base).quantize(8); pal.info["transparency"] = 2
save("palette_trns.png", pal, transparency=2)
la = np.stack([base[..., 1], base[..., 2]], -1)
save("gray_alpha.png", Image.fromarray(la, "LA"))
rgba = np.concatenate([base, base[..., :1]], -1)
save("rgba.png", Image.fromarray(rgba, "RGBA"))
# 16-bit RGB: Pillow cannot write it, so write the PNG by hand (zlib + chunks).
def write_png16(path, arr16):
    import zlib, struct
    h, w, _ = arr16.shape
    raw = b"".join(b"\x00" + arr16[y].astype(">u2").tobytes() for y in range(h))
    def chunk(t, data):
        c = struct.pack(">I", len(data)) + t + data
        return c + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)
rgb16 = (base.astype(np.uint16) * 257 + rng.integers(0, 200, base.shape)).astype(np.uint16)
write_png16(os.path.join(d, "rgb16.png"), rgb16)
rgb = np.asarray(Image.open(os.path.join(d, "rgb16.png")).convert("RGB")); rgb.tofile(os.path.join(d, "rgb16.png.rgb"))
manifest["rgb16.png"] = [rgb.shape[1], rgb.shape[0]]
g16 = (base[..., 0].astype(np.uint16) * 3).astype(np.uint16)  # values up to 765: PIL clips at 255
Image.fromarray(g16).save(os.path.join(d, "gray16.png"))
rgb = np.asarray(Image.open(os.path.join(d, "gray16.png")).convert("RGB")); rgb.tofile(os.path.join(d, "gray16.png.rgb"))
manifest["gray16.png"] = [rgb.shape[1], rgb.shape[0]]
save("image.ppm", Image.fromarray(base))
save("gray.pgm", Image.fromarray(base[..., 2]))
# Corrupt inputs (no golden): truncated JPEG and PNG, garbage JPEG body.
jpg = open(os.path.join(d, "rgb420.jpg"), "rb").read()
open(os.path.join(d, "truncated.jpg.bad"), "wb").write(jpg[: len(jpg) // 2])
png = open(os.path.join(d, "rgb8.png"), "rb").read()
open(os.path.join(d, "truncated.png.bad"), "wb").write(png[: len(png) // 2])
open(os.path.join(d, "garbage.jpg.bad"), "wb").write(b"\xff\xd8\xff\xe0" + bytes(rng.integers(0, 256, 200, dtype=np.uint8)))
json.dump(manifest, open(os.path.join(d, "manifest.json"), "w"), indent=1, sort_keys=True)

# ------------------------------------------------------------------ resize goldens
d = reset("resize")
src = smooth_image(29, 37, 2)  # H=29, W=37
Image.fromarray(src).save(os.path.join(d, "src.png"))
rz = {}
for kname, k in [("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)]:
    for (w, h) in [(16, 12), (9, 29), (37, 7), (50, 41), (64, 64), (20, 15), (5, 3)]:
        out = np.asarray(Image.fromarray(src).resize((w, h), k))
        name = f"pil_{kname}_{w}x{h}.u8"
        out.tofile(os.path.join(d, name))
        rz[name] = [w, h]
# tf.image.resize bilinear on float input (what VPT's tf_dataset.preprocess_fn does before /255).
import tensorflow as tf
for (w, h) in [(16, 12), (50, 41), (64, 48), (37, 29), (11, 60)]:
    out = tf.image.resize(tf.cast(tf.constant(src), tf.float32), [h, w], method="bilinear").numpy().astype("<f4")
    name = f"tf_bilinear_{w}x{h}.f32"
    out.tofile(os.path.join(d, name))
    rz[name] = [w, h]
json.dump(rz, open(os.path.join(d, "manifest.json"), "w"), indent=1, sort_keys=True)

# ------------------------------------------------------------------ VTAB-1k image-folder layout (task dtd)
d = reset("vtab")
task = os.path.join(d, "dtd")
os.makedirs(os.path.join(task, "images", "banded"))
os.makedirs(os.path.join(task, "images", "woven"))
entries = []
for i in range(6):
    cls = ["banded", "woven"][i % 2]
    rel = f"images/{cls}/{cls}_{i:04d}.jpg"
    Image.fromarray(smooth_image(10 + i, 12, 100 + i)).save(os.path.join(task, rel), quality=90)
    entries.append((rel, i % 2))
def write_list(name, items):
    with open(os.path.join(task, name), "w") as f:
        for rel, lab in items:
            f.write(f"{rel} {lab}\n")
write_list("train800.txt", entries[:3])
write_list("val200.txt", entries[3:4])
write_list("train800val200.txt", entries[:4])
write_list("test.txt", entries[4:])

# ------------------------------------------------------------------ FGVC json layout (CUB)
d = reset("fgvc")
cub = os.path.join(d, "CUB_200_2011")
os.makedirs(os.path.join(cub, "images", "001.Black_footed_Albatross"))
os.makedirs(os.path.join(cub, "images", "002.Laysan_Albatross"))
anno = {}
for i in range(6):
    cls = ["001.Black_footed_Albatross", "002.Laysan_Albatross"][i % 2]
    rel = f"{cls}/img_{i}.jpg"
    Image.fromarray(smooth_image(14, 11, 200 + i)).save(os.path.join(cub, "images", rel), quality=90)
    anno[rel] = i % 2 + 1  # VPT's CUB json labels are 1-based class ids; the reader maps them to 0..C-1
items = list(anno.items())
json.dump(dict(items[:3]), open(os.path.join(cub, "train.json"), "w"))
json.dump(dict(items[3:4]), open(os.path.join(cub, "val.json"), "w"))
json.dump(dict(items[4:]), open(os.path.join(cub, "test.json"), "w"))

# ------------------------------------------------------------------ TFDS TFRecord shards (cifar100-like)
d = reset("tfds")
ver = os.path.join(d, "cifar100", "3.0.2")
os.makedirs(ver)
def example(img, label):
    buf = io.BytesIO(); Image.fromarray(img).save(buf, format="PNG")
    f = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buf.getvalue()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        "coarse_label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label // 2])),
        "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"])),
        "score": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5, -1.25])),
    }
    return tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString()
labels = {"train": [(i * 7) % 5 for i in range(10)], "test": [(i * 3) % 5 for i in range(4)]}
shards = {"train": [6, 4], "test": [4]}
pixels = {}
for split in ["train", "test"]:
    k = 0
    for s, n in enumerate(shards[split]):
        path = os.path.join(ver, f"cifar100-{split}.tfrecord-{s:05d}-of-{len(shards[split]):05d}")
        with tf.io.TFRecordWriter(path) as w:
            for _ in range(n):
                img = smooth_image(4, 5, 300 + k + (0 if split == "train" else 100))
                w.write(example(img, labels[split][k]))
                pixels[f"{split}{k}"] = img.tolist()
                k += 1
info = {"name": "cifar100", "version": "3.0.2", "splits": [
    {"name": "train", "numBytes": "0", "shardLengths": [str(n) for n in shards["train"]]},
    {"name": "test", "numBytes": "0", "shardLengths": [str(n) for n in shards["test"]]}]}
json.dump(info, open(os.path.join(ver, "dataset_info.json"), "w"), indent=1)
json.dump({"labels": labels}, open(os.path.join(d, "expected.json"), "w"))
# A shard with a flipped payload byte (data CRC mismatch).
raw = bytearray(open(os.path.join(ver, "cifar100-test.tfrecord-00000-of-00001"), "rb").read())
raw[20] ^= 0xFF
open(os.path.join(d, "corrupt.tfrecord"), "wb").write(bytes(raw))

# ------------------------------------------------------------------ MATLAB v5 files
d = reset("mat")
import scipy.io
X = rng.integers(0, 256, (4, 3, 3, 5), dtype=np.uint8)   # SVHN layout H×W×C×N
y = np.array([[10], [1], [2], [3], [9]], dtype=np.uint8)  # SVHN stores digit 0 as label 10
scipy.io.savemat(os.path.join(d, "svhn_like.mat"), {"X": X, "y": y}, do_compression=False)
scipy.io.savemat(os.path.join(d, "svhn_like_z.mat"), {"X": X, "y": y}, do_compression=True)
scipy.io.savemat(os.path.join(d, "imagelabels.mat"), {"labels": np.array([[1, 2, 2, 102, 5]], dtype=np.uint8)}, do_compression=True)
scipy.io.savemat(os.path.join(d, "setid.mat"), {"trnid": np.array([[1, 3]], dtype=np.uint16),
                                                 "valid": np.array([[2]], dtype=np.uint16),
                                                 "tstid": np.array([[4, 5]], dtype=np.uint16)})
json.dump({"X": X.flatten(order="F").tolist(), "shape": list(X.shape), "y": y.flatten().tolist()},
          open(os.path.join(d, "expected.json"), "w"))
print("ok")
