#!/usr/bin/env bash
# Bakes the default font atlas Glassbox.Core ships (DejaVu Sans, 16 px) from Debian's fonts-dejavu-core.
# A test bakes it again and compares, so run this after changing the baker or the font, and commit the file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dotnet build tools/FontBake -c Release -nologo -v:q -clp:NoSummary
dotnet artifacts/bin/FontBake/release/font-bake.dll src/Glassbox.Core/Visualisation/Fonts/dejavu-sans-16.gbfont
