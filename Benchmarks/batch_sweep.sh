#!/usr/bin/env bash
# img/s of ViT-B/16 (VPT-deep train step and inference) at batch 8/16/32/64 with 1 and 2 threads, ours vs PyTorch,
# interleaved (torch_reference.py runs PyTorch then `bench throughput` for each point), plus the linear probe's
# cached-feature epoch vs PyTorch recomputing the frozen ViT. Dev-time only (needs torch + timm):
#   PY=/work/venv-torch/bin/python bash Benchmarks/batch_sweep.sh > Benchmarks/sweep.log
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
BATCHES=${BATCHES:-8 16 32 64}
for b in $BATCHES; do
    "$PY" Benchmarks/torch_reference.py --methods vpt-deep --batch "$b" --threads 1,2 --rounds 1 --steps 1 --warmup 1
done
"$PY" Benchmarks/torch_reference.py --methods linear --batch 64 --threads 1 --rounds 1 --steps 1 --warmup 1
.build/release/bench throughput --methods linear --backbone vit-b16 --batch 64 --threads 1 --steps 1 --warmup 1 --no-csv | grep cached
