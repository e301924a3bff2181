#!/usr/bin/env bash
# Sets up, builds and runs the Glassbox demo on the bundled model. Extra arguments go to the demo
# (tools/demo.sh --help lists them). With no display it runs headless and says what it skipped.
# tools/demo.sh web [--model M] [--method A,B] [--layer L] [--port N] serves the browser explainer on localhost instead.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [[ "${1:-}" == "web" ]]; then
    # tools/demo.sh web [--model M] [--method A,B] [--layer L] [--port N]: the explainer exported as one ONNX model, run in
    # the browser by onnxruntime-web from a folder served on localhost.
    shift
    model=models/mnist-cnn methods=grad-cam,layer-cam,gradient-x-input layer=auto port=8000
    while (($#)); do
        case "$1" in
            --model) model=$2; shift 2 ;;
            --method) methods=$2; shift 2 ;;
            --layer) layer=$2; shift 2 ;;
            --port) port=$2; shift 2 ;;
            *) echo "demo web: unknown option '$1'. Use --model, --method, --layer, --port." >&2; exit 2 ;;
        esac
    done
    dotnet build examples/Explain -c Release -nologo -clp:NoSummary -v:q
    site=artifacts/web
    rm -rf "$site" && mkdir -p "$site/ort"
    cp examples/WebExplainer/index.html examples/WebExplainer/explainer.js "$site/"
    cp node_modules/onnxruntime-web/dist/ort.wasm.min.mjs node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs \
       node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm "$site/ort/"
    dotnet artifacts/bin/Explain/release/explain.dll export --model "$model" --method "$methods" --layer "$layer" --out "$site/model.onnx"
    exec node examples/WebExplainer/serve.mjs "$site" "$port"
fi
dotnet build examples/LiveDemo -c Release -nologo -clp:NoSummary -v:q
exec dotnet artifacts/bin/LiveDemo/release/glassbox-demo.dll "$@"
