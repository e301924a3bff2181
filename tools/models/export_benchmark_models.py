#!/usr/bin/python3
"""Exports torchvision ResNet-18 and MobileNetV2 with random weights from a fixed seed, for the
benchmarks and the op-coverage tests. They are large and untrained, so they are not committed:

    /usr/bin/python3 tools/models/export_benchmark_models.py      # → artifacts/models/{resnet18,mobilenetv2}.onnx

Weights are random (seed below) because the benchmarks measure speed and the op tests compare
engines, neither of which needs trained weights; no download is possible or needed.
"""
import os

os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.setdefault("DNNL_MAX_CPU_ISA", "AVX2")

import copy  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from onnx_naming import drop_initializer_identities, readable_names  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO / "artifacts" / "models"
SEED = 1000
MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "mobilenetv2": lambda: torchvision.models.mobilenet_v2(weights=None),
}
# The last feature block (the usual Grad-CAM layer): module path in torchvision, whose output
# tensor in the exported graph the C# test differentiates with respect to.
TARGET_MODULES = {"resnet18": "layer4", "mobilenetv2": "features"}


def write_reference_gradients(name, model, proto):
    """PyTorch autograd reference: gradient of class 7 w.r.t. the input and the target block's output."""
    target_module = TARGET_MODULES[name]
    # The block's output tensor is the output of the last node the exporter named after it.
    block_nodes = [n for n in proto.graph.node if n.name == target_module or n.name.startswith(target_module + ".")]
    tensor = block_nodes[-1].output[0]
    captured = {}
    module = dict(model.named_modules())[target_module]

    def keep(_module, _inputs, output):  # a hook must return None, or it replaces the output
        output.retain_grad()
        captured["block"] = output
    handle = module.register_forward_hook(keep)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(SEED)).requires_grad_(True)
    logits = model(x)
    handle.remove()
    seed = torch.zeros_like(logits)
    seed[0, 7] = 1.0
    (logits * seed).sum().backward()
    # The same gradients in float64: the yardstick for how far float32 engines may drift (deep ReLU6
    # networks amplify rounding near the clipping points to about 1% in PyTorch's own float32 result).
    model64 = copy.deepcopy(model).double()
    captured64 = {}

    def keep64(_module, _inputs, output):
        output.retain_grad()
        captured64["block"] = output
    handle = dict(model64.named_modules())[target_module].register_forward_hook(keep64)
    x64 = x.detach().double().requires_grad_(True)
    (model64(x64) * seed.double()).sum().backward()
    handle.remove()
    folder = OUT / f"{name}-gradients"
    folder.mkdir(exist_ok=True)
    entries = {}
    tensors = {"input": x.detach(), "output": logits.detach(), "seed": seed, "grad_input": x.grad, "grad_block": captured["block"].grad,
               "grad_input_f64": x64.grad.float(), "grad_block_f64": captured64["block"].grad.float()}
    for key, value in tensors.items():
        data = value.contiguous().numpy().astype("<f4").tobytes()
        (folder / f"{key}.bin").write_bytes(data)
        entries[key] = {"file": f"{key}.bin", "shape": list(value.shape)}
    index = {"model": f"artifacts/models/{name}.onnx", "block_tensor": tensor, "block_module": target_module, **entries}
    (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    summary = {}
    for name, build in MODELS.items():
        torch.manual_seed(SEED)
        model = build()
        # Freshly initialised BatchNorm statistics (mean 0, variance 1) do not match the activations,
        # and in MobileNetV2 the signal then fades to ~1e-12 by the output. A few batches of random
        # input in training mode set realistic statistics, so activations and gradients have a usable scale.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.momentum = None          # a plain average over the calibration batches
                    m.reset_running_stats()
            model.train()
            calibration = torch.Generator().manual_seed(SEED + 1)
            for _ in range(4):
                model(torch.randn(8, 3, 224, 224, generator=calibration))
        model.eval()
        buffer = io.BytesIO()
        torch.onnx.export(model, torch.zeros(1, 3, 224, 224), buffer, input_names=["input"], output_names=["logits"],
                          opset_version=17, do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        proto = onnx.load_from_string(buffer.getvalue())
        drop_initializer_identities(proto)
        readable_names(proto)
        for node in proto.graph.node:
            node.doc_string = ""
        onnx.checker.check_model(proto)
        data = proto.SerializeToString()
        (OUT / f"{name}.onnx").write_bytes(data)
        write_reference_gradients(name, model, proto)
        summary[name] = {"file": f"{name}.onnx", "sha256": hashlib.sha256(data).hexdigest(), "seed": SEED,
                         "nodes": len(proto.graph.node), "ops": sorted({n.op_type for n in proto.graph.node}),
                         "torch": torch.__version__, "torchvision": torchvision.__version__}
        print(f"{name}: {len(proto.graph.node)} nodes, {len(data) / 1e6:.1f} MB → {OUT / (name + '.onnx')}")
    (OUT / "index.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
