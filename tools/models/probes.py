#!/usr/bin/python3
"""Small architecture probes with random weights, for op coverage of the gradient graphs:
a ResNet basic block (BatchNormalization, residual Add), a MobileNetV2 inverted residual
(depthwise Conv, ReLU6 as Clip, Add) and a CNN with MaxPool and AveragePool. Each is exported to
tests/fixtures/gradients/<probe>/model.onnx with its gradient fixture.

    /usr/bin/python3 tools/models/probes.py
"""
import io
import os

os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.setdefault("DNNL_MAX_CPU_ISA", "AVX2")

import pathlib  # noqa: E402
import sys  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gradient_fixtures  # noqa: E402
from onnx_naming import drop_initializer_identities, readable_names  # noqa: E402

SEED = 7


def randomise_batchnorm(model: nn.Module, generator: torch.Generator) -> None:
    """Running statistics and affine parameters away from identity, so the BN rule is really tested."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)


class ResNetBlock(nn.Module):
    def __init__(self, c=8, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.relu2 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.relu2(self.bn2(self.conv2(y)) + x)
        return self.fc(self.flatten(self.gap(y)))


class InvertedResidual(nn.Module):
    def __init__(self, c=8, expand=3, classes=5):
        super().__init__()
        h = c * expand
        self.expand = nn.Conv2d(c, h, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(h)
        self.relu6_1 = nn.ReLU6()
        self.depthwise = nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False)
        self.bn2 = nn.BatchNorm2d(h)
        self.relu6_2 = nn.ReLU6()
        self.project = nn.Conv2d(h, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        y = self.relu6_1(self.bn1(self.expand(x)))
        y = self.relu6_2(self.bn2(self.depthwise(y)))
        y = self.bn3(self.project(y)) + x
        return self.fc(self.flatten(self.gap(y)))


class PoolingCnn(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=1, padding=1)
        self.relu2 = nn.ReLU()
        self.avgpool = nn.AvgPool2d(2, stride=2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8 * 3 * 3, classes)

    def forward(self, x):
        y = self.maxpool(self.relu1(self.conv1(x)))
        y = self.avgpool(self.relu2(self.conv2(y)))
        return self.fc(self.flatten(y))


PROBES = [
    # (fixture name, model, input shape, tensors to differentiate, description)
    ("resnet-block", ResNetBlock, (2, 8, 8, 8), ["relu1", "bn2"], "ResNet basic block: Conv, BatchNormalization, Relu, residual Add, GlobalAveragePool, Gemm"),
    ("mobilenet-block", InvertedResidual, (2, 8, 8, 8), ["relu6_1", "depthwise"], "MobileNetV2 inverted residual: 1×1 Conv, depthwise Conv (groups), ReLU6 as Clip, BatchNormalization, Add"),
    ("pooling-cnn", PoolingCnn, (2, 3, 12, 12), ["maxpool", "relu2"], "CNN with MaxPool and AveragePool, Flatten, Gemm"),
]


def main():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    for name, build, shape, tensors, description in PROBES:
        torch.manual_seed(SEED)
        generator = torch.Generator().manual_seed(SEED)
        model = build().eval()
        with torch.no_grad():
            randomise_batchnorm(model, generator)
        x = torch.randn(*shape, generator=generator)
        buffer = io.BytesIO()
        # PRESERVE keeps BatchNormalization as its own (inference-mode) node instead of folding it into Conv.
        torch.onnx.export(model, x, buffer, input_names=["input"], output_names=["logits"], opset_version=17,
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
        proto = onnx.load_from_string(buffer.getvalue())
        drop_initializer_identities(proto)
        readable_names(proto)
        for node in proto.graph.node:
            node.doc_string = ""
        onnx.checker.check_model(proto)
        folder = gradient_fixtures.FIXTURES / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.onnx").write_bytes(proto.SerializeToString())
        gradient_fixtures.write(name, model, folder / "model.onnx", x, [1, 3], tensors, description)
        print(f"{name}: {[n.op_type for n in proto.graph.node]}")


if __name__ == "__main__":
    main()
