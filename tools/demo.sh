#!/usr/bin/env bash
# Sets up, builds and runs the Glassbox demo on the bundled model. Extra arguments go to the demo
# (tools/demo.sh --help lists them). With no display it runs headless and says what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
dotnet build examples/LiveDemo -c Release -nologo -clp:NoSummary -v:q
exec dotnet artifacts/bin/LiveDemo/release/glassbox-demo.dll "$@"
