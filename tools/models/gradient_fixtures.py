"""Gradient fixtures: inputs, outputs and PyTorch-autograd gradients of a weighted class score with
respect to the input and to named intermediate tensors, for the C# gradient-graph tests.

Each fixture folder under tests/fixtures/gradients/ holds little-endian float32 .bin files and an
index.json:
  model            the ONNX file (relative to the repository root)
  model_sha256     its SHA-256
  input            name, shape, file
  output           name of the differentiated output, shape, file (its values)
  seed             the output-shaped weights w: the score is sum(w * output); one-hot rows pick a class
  gradients        tensor name → shape, file of d(score)/d(tensor); "input" is the model input
"""
import hashlib
import json
import pathlib

import numpy as np
import torch

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "gradients"


def _write(folder: pathlib.Path, name: str, tensor: torch.Tensor) -> dict:
    data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
    file = name.replace("/", "_").replace(":", "_") + ".bin"
    (folder / file).write_bytes(data)
    return {"file": file, "shape": list(tensor.shape), "sha256": hashlib.sha256(data).hexdigest()}


def write(fixture: str, model: torch.nn.Module, onnx_path: pathlib.Path, x: torch.Tensor, targets: list,
          tensors: list, description: str) -> None:
    """tensors: ONNX tensor names that are also module paths in model (their outputs)."""
    folder = FIXTURES / fixture
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.bin"):
        stale.unlink()
    modules = dict(model.named_modules())
    captured = {}
    handles = []
    for name in tensors:
        if name not in modules:
            raise SystemExit(f"{fixture}: '{name}' is not a module of the model; pick a tensor a module produces.")

        def hook(_module, _inputs, output, name=name):
            output.retain_grad()
            captured[name] = output
        handles.append(modules[name].register_forward_hook(hook))

    model.eval()
    x = x.clone().requires_grad_(True)
    output = model(x)
    seed = torch.zeros_like(output)
    for row, target in enumerate(targets):
        seed[row, target] = 1.0
    (output * seed).sum().backward()
    for handle in handles:
        handle.remove()

    index = {
        "description": description,
        "model": str(onnx_path.relative_to(REPO)),
        "model_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "targets": targets,
        "input": {"name": "input", **_write(folder, "input", x)},
        "output": {"name": "logits", **_write(folder, "output", output)},
        "seed": _write(folder, "seed", seed),
        "gradients": {"input": _write(folder, "grad_input", x.grad)},
    }
    for name in tensors:
        tensor = _onnx_tensor_of_module(onnx_path, name)
        index["gradients"][tensor] = {"module": name, **_write(folder, "grad_" + tensor, captured[name].grad)}
    (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n")


def _onnx_tensor_of_module(onnx_path: pathlib.Path, module: str) -> str:
    """The ONNX tensor holding a module's output: the output of the last non-Constant node the
    module exported (named 'module' or 'module.Op' by onnx_naming)."""
    import onnx
    nodes = [n for n in onnx.load(str(onnx_path)).graph.node
             if (n.name == module or n.name.startswith(module + ".")) and n.op_type != "Constant"]
    if not nodes:
        raise SystemExit(f"{onnx_path}: no node comes from module '{module}'.")
    return nodes[-1].output[0]


def mnist_batch(count: int = 2):
    """The first test images, normalised like every shipped model's input."""
    import mnist_data
    images, labels = mnist_data.load("t10k")
    return mnist_data.normalise(images[:count]), labels[:count].tolist()
