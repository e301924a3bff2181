#!/usr/bin/python3
"""Models as users bring them: torchvision classifiers of several families, segmentation nets and a
small YOLO-style detector, exported by PyTorch at opsets 9, 11, 13 and 17, some with free batch,
height and width; each with PyTorch autograd gradients (float32 and float64) of a seeded output with
respect to the input and to one inner feature map, for the C# tests and the explain tool.

    /usr/bin/python3 tools/models/wild_corpus.py            # → artifacts/corpus/<name>/
    /usr/bin/python3 tools/models/wild_corpus.py densenet121 # one model

Weights are random from a fixed seed (no download is possible or needed: the tests compare engines),
with BatchNorm statistics set from random batches so activations keep a usable scale. A model with
free sizes is exported from a 64×64 example and its reference is taken at another size (non-square),
so the test proves one derived graph serves sizes it was not exported at. Files are large and
untrained, so they are not committed; tools/test.sh writes them when they are missing.

Each folder holds model.onnx and index.json:
  opset, free ("batch", "height", "width" as exported free), input/output/block tensor names,
  input, seed (output-shaped), output, grad_input, grad_block, and their _f64 references (.bin, float32 LE)
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
from torch import nn  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO / "artifacts" / "corpus"
SEED = 2000
VERSION = 1  # bump when what this script writes changes; tools/test.sh re-exports on a mismatch


class TinyYolo(nn.Module):
    """A small one-stage detector in the YOLO style: a space-to-depth "Focus" stem (strided slices and
    a concatenation), a backbone, an upsampling neck joined to a finer level by concatenation, a
    PixelShuffle (DepthToSpace) branch, and a head of [batch, boxes, 4 + classes] sigmoid scores."""

    def __init__(self, classes=3, anchors=2):
        super().__init__()
        self.classes, self.anchors = classes, anchors

        def block(cin, cout, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU())
        self.stem = block(12, 16)
        self.down1 = block(16, 32, 2)
        self.down2 = block(32, 64, 2)
        self.lateral = nn.Conv2d(64, 32, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse = block(64, 32)
        self.shuffle = nn.Sequential(nn.Conv2d(32, 64, 1), nn.PixelShuffle(2))
        self.neck = block(16 + 16, 32, 2)
        self.head = nn.Conv2d(32, anchors * (5 + classes), 1)

    def forward(self, x):
        x = torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1)
        s = self.stem(x)
        p3 = self.down1(s)
        p4 = self.down2(p3)
        f = self.fuse(torch.cat([self.up(self.lateral(p4)), p3], 1))
        fine = self.shuffle(f)
        n = self.neck(torch.cat([fine, s], 1))
        h = self.head(n)
        b, _, gh, gw = h.shape
        h = h.view(b, self.anchors, 5 + self.classes, gh, gw).permute(0, 1, 3, 4, 2).reshape(b, -1, 5 + self.classes)
        return torch.sigmoid(h)


def classifier(build):
    def make():
        model = build()
        return model, lambda out: out
    return make


def segmenter(build):
    def make():
        model = build()
        return model, lambda out: out["out"]
    return make


# name: (builder, opset, free axes, export size, reference size (H, W), block module, seed kind)
CORPUS = {
    "densenet121": (classifier(lambda: torchvision.models.densenet121(weights=None)), 13, ("batch", "height", "width"), 64, (96, 80), "features.denseblock4", "class"),
    "shufflenetv2": (classifier(lambda: torchvision.models.shufflenet_v2_x0_5(weights=None)), 11, ("batch", "height", "width"), 64, (96, 128), "stage4", "class"),
    "efficientnet-b0": (classifier(lambda: torchvision.models.efficientnet_b0(weights=None)), 17, ("batch",), 96, (96, 96), "features.7", "class"),
    "googlenet": (classifier(lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True)), 9, (), 96, (96, 96), "inception5b", "class"),
    "regnet-x-400mf": (classifier(lambda: torchvision.models.regnet_x_400mf(weights=None)), 11, ("batch", "height", "width"), 64, (80, 112), "trunk_output", "class"),
    "mobilenetv3-small": (classifier(lambda: torchvision.models.mobilenet_v3_small(weights=None)), 13, ("batch", "height", "width"), 64, (112, 96), "features", "class"),
    "squeezenet1.1": (classifier(lambda: torchvision.models.squeezenet1_1(weights=None)), 9, ("batch",), 96, (96, 96), "features", "class"),
    "lraspp-mobilenetv3": (segmenter(lambda: torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5)),
                           11, ("batch", "height", "width"), 64, (96, 128), "classifier.cbr", "box"),
    "deeplabv3-mobilenetv3": (segmenter(lambda: torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5, aux_loss=False)),
                              13, (), 96, (96, 96), "classifier.0", "box"),
    "fcn-resnet50": (segmenter(lambda: torchvision.models.segmentation.fcn_resnet50(weights=None, weights_backbone=None, num_classes=5, aux_loss=False)),
                     11, (), 64, (64, 64), "backbone.layer4", "box"),
    "tiny-yolo": (classifier(lambda: TinyYolo()), 11, ("batch", "height", "width"), 64, (96, 128), "fuse", "detection"),
}


class WithBlock(nn.Module):
    """The model's output plus one inner module's output as a second graph output named "block", so the
    test can differentiate with respect to exactly the tensor autograd's hook saw."""

    def __init__(self, model, pick, block):
        super().__init__()
        self.model, self.pick = model, pick
        self.block_module = dict(model.named_modules())[block]
        self.saved = None
        self.block_module.register_forward_hook(self._keep)

    def _keep(self, _module, _inputs, output):
        output.retain_grad() if output.requires_grad else None
        self.saved = output

    def forward(self, x):
        out = self.pick(self.model(x))
        return out, self.saved


def calibrate(model, size):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d,)):
                m.momentum = None
                m.reset_running_stats()
        model.train()
        g = torch.Generator().manual_seed(SEED + 1)
        for _ in range(3):
            model(torch.randn(4, 3, size, size, generator=g))
    model.eval()


def make_seed(kind, out):
    seed = torch.zeros_like(out)
    if kind == "class":
        seed[0, 7 % out.shape[1]] = 1.0
    elif kind == "box":
        # Class channel 1 summed over a box in the middle of the map (a region of a segmentation).
        _, _, h, w = out.shape
        seed[0, 1, h // 4: h // 2, w // 3: 2 * w // 3] = 1.0
    else:
        # The class score (column 4 + 1) of the highest-objectness box.
        k = int(out[0, :, 4].argmax())
        seed[0, k, 5 + 1] = 1.0
    return seed


def export(name):
    build, opset, free, export_size, (height, width), block, kind = CORPUS[name]
    torch.manual_seed(SEED)
    model, pick = build()
    calibrate(model, export_size)
    wrapped = WithBlock(model, pick, block).eval()
    dynamic = {}
    axes = {"batch": 0, "height": 2, "width": 3}
    if free:
        dynamic = {"input": {axes[a]: a for a in free}}
        if "batch" in free:
            dynamic["output"] = {0: "batch"}
            dynamic["block"] = {0: "batch"}
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(wrapped, torch.zeros(1, 3, export_size, export_size), buffer, input_names=["input"], output_names=["output", "block"],
                          opset_version=opset, do_constant_folding=True, dynamic_axes=dynamic or None)
    proto = onnx.load_from_string(buffer.getvalue())
    for node in proto.graph.node:
        node.doc_string = ""
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(data)

    g = torch.Generator().manual_seed(SEED + 2)
    x = torch.randn(1, 3, height, width, generator=g)
    tensors = {}
    for precision, suffix in ((torch.float32, ""), (torch.float64, "_f64")):
        m = copy.deepcopy(wrapped).to(precision)
        m.block_module.register_forward_hook(lambda _m, _i, o: o.retain_grad())
        xi = x.to(precision).clone().requires_grad_(True)
        out, blk = m(xi)
        if suffix == "":
            seed = make_seed(kind, out)
            tensors["input"], tensors["output"], tensors["seed"] = x, out.detach(), seed
        (out * seed.to(precision)).sum().backward()
        tensors["grad_input" + suffix] = xi.grad.float()
        tensors["grad_block" + suffix] = blk.grad.float()
    index = {"version": VERSION, "name": name, "model": f"artifacts/corpus/{name}/model.onnx", "sha256": hashlib.sha256(data).hexdigest(),
             "opset": opset, "free": list(free), "kind": kind, "output": "output", "block": "block",
             "torch": torch.__version__, "torchvision": torchvision.__version__, "seed": SEED}
    for key, value in tensors.items():
        raw = value.detach().contiguous().numpy().astype("<f4").tobytes()
        (folder / f"{key}.bin").write_bytes(raw)
        index[key] = {"file": f"{key}.bin", "shape": list(value.shape)}
    (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"{name}: opset {opset}, {len(proto.graph.node)} nodes, free {','.join(free) or '-'}, {len(data) / 1e6:.1f} MB")


def main(names):
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    unknown = [n for n in names if n not in CORPUS]
    if unknown:
        raise SystemExit(f"unknown corpus model(s) {', '.join(unknown)}; known: {', '.join(CORPUS)}")
    for name in names or CORPUS:
        export(name)
    (OUT / "VERSION").write_text(f"{VERSION}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
