#!/usr/bin/env bash
# Sets up, builds and runs the headless explain tool. Arguments go to it (tools/explain.sh --help):
#   tools/explain.sh --mnist 20 --method grad-cam,rise --metrics --out artifacts/explain
#   tools/explain.sh photo.jpg folder/ --model models/mnist-cnn --method occlusion --out artifacts/explain
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
dotnet build examples/Explain -c Release -nologo -clp:NoSummary -v:q
exec dotnet artifacts/bin/Explain/release/explain.dll "$@"
