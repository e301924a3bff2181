#!/usr/bin/env bash
# Exports the models that are too large to commit (random weights, fixed seeds) when they are
# missing or were written by an older version of their script: the benchmark models (ResNet-18,
# MobileNetV2) and the corpus of models from the wild. Needs PyTorch: tools/setup.sh --models.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ ! -f artifacts/models/index.json || ! -f artifacts/models/resnet18-gradients/index.json ]]; then
    echo "models: exporting the benchmark models (tools/models/export_benchmark_models.py)"
    /usr/bin/python3 tools/models/export_benchmark_models.py 2>&1 | grep -v -i warning || true
    [[ -f artifacts/models/index.json ]] || { echo "models: the benchmark export failed; run it by hand to see why." >&2; exit 1; }
fi

want=$(sed -n 's/^VERSION = \([0-9]*\).*/\1/p' tools/models/wild_corpus.py)
have=$(cat artifacts/corpus/VERSION 2>/dev/null || true)
if [[ "$want" != "$have" ]]; then
    echo "models: exporting the corpus of models from the wild (tools/models/wild_corpus.py)"
    /usr/bin/python3 tools/models/wild_corpus.py 2>&1 | grep -v -i warning || true
    [[ "$(cat artifacts/corpus/VERSION 2>/dev/null || true)" == "$want" ]] || { echo "models: the corpus export failed; run it by hand to see why." >&2; exit 1; }
fi
echo "models: ok (artifacts/models, artifacts/corpus)"
