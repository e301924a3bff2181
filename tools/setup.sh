#!/usr/bin/env bash
# Installs what Glassbox needs on Debian 12 when it is missing, and nothing when it is not.
#
#   tools/setup.sh            runtime libraries + test tools (Xvfb, glslangValidator, xdotool for synthetic input, Chromium)
#   tools/setup.sh --models   also PyTorch, ONNX, OpenBLAS and matplotlib for the Python tools (tools/models, tools/fixtures, tools/colormaps)
#
# Idempotent and quick when everything is present (a few dpkg queries). Needs root or sudo
# only when something has to be installed.
set -euo pipefail

RUNTIME_PACKAGES=(
    libglfw3 libgl1-mesa-dri libegl1                # window, OpenGL (Mesa)
    libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good  # cameras and video
    libstb0 fonts-dejavu-core                       # baking font atlases (FontBaker); the default one ships pre-baked
    libvulkan1                                      # the Vulkan loader the WebGPU provider uses on GPU machines
)
TEST_PACKAGES=(xvfb xauth glslang-tools gstreamer1.0-tools xdotool chromium)  # chromium: the web explainer, headless
# Python tools only: training (OpenBLAS, since reference BLAS trains ~10x slower) and colormap tables (matplotlib).
MODEL_PACKAGES=(python3-torch python3-torchvision python3-onnx libopenblas0-pthread python3-matplotlib)

want=("${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
for arg in "$@"; do
    case "$arg" in
        --models) want+=("${MODEL_PACKAGES[@]}") ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "setup: unknown option '$arg'. Use --models, or no option." >&2; exit 2 ;;
    esac
done
# Node.js and npm may come from elsewhere (NodeSource); only install Debian's when the commands are absent.
command -v node >/dev/null 2>&1 || want+=(nodejs)
command -v npm >/dev/null 2>&1 || want+=(npm)

missing=()
for pkg in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root=(sudo)
    else
        echo "setup: these Debian packages are missing: ${missing[*]}" >&2
        echo "setup: installing them needs root. Run: sudo apt-get install -y ${missing[*]}" >&2
        echo "setup: (or run this script as root)" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "setup: the .NET SDK is missing (dotnet is not on PATH). Install the .NET 10 SDK, then run this again." >&2
    exit 1
fi
echo "setup: ok (Debian packages, node $(node --version), dotnet $(dotnet --version))"
