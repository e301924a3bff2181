#!/usr/bin/python3
"""LRP reference fixtures: relevance at the input of each shipped or probe model under each LRP composite
(and Guided Backprop / DeconvNet), computed by an implementation written here in PyTorch, independent of
Glassbox's graph derivation, for the C# tests to match.

The reference runs the ONNX graph node by node in PyTorch, canonises it (a BatchNormalization right after a Conv
or Gemm is folded into that layer's weights and bias), then hands relevance back node by node with each rule's
definition as Zennit writes it (rules.py: input modifiers, parameter modifiers, a gradient mapper and a reducer
over autograd's vector-Jacobian products of the modified layer copies). The composites are Zennit's presets.
For the transformer (mnist-vit) the attention-aware rules of AttnLRP (Achtibat et al. 2024) are written from the
paper: softmax linearised at its input, products of two activations split evenly by the ε rule, layer
normalisation with its standard deviation held fixed, and GELU (the module's nodes) passing relevance whole.

Each fixture folder tests/fixtures/lrp/<model>/ holds index.json and little-endian float32 .bin files:
  model, model_sha256   the ONNX file (from the gradient fixture of the same name) and its SHA-256
  input, seed           the gradient fixture's input batch and one-hot seed rows (the explained classes)
  box                   low and high of the z^B rule for epsilon-gamma-box (per input channel)
  relevance             composite name → file and shape of the relevance at the input

    /usr/bin/python3 tools/models/lrp_fixtures.py
"""
import hashlib
import json
import os
import pathlib

os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.setdefault("DNNL_MAX_CPU_ISA", "AVX2")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from onnx import numpy_helper  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
GRADIENTS = REPO / "tests" / "fixtures" / "gradients"
FIXTURES = REPO / "tests" / "fixtures" / "lrp"
MODELS = ["mnist-cnn", "mnist-vit", "resnet-block", "mobilenet-block", "pooling-cnn"]

# The MNIST input range in the model's units, (0 − mean)/std to (1 − mean)/std; the probes take N(0, 1) inputs,
# bounded here by ±4 (their fixture inputs lie inside).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
BOXES = {name: ([-MNIST_MEAN / MNIST_STD], [(1 - MNIST_MEAN) / MNIST_STD]) for name in ("mnist-cnn", "mnist-vit")}
DEFAULT_BOX = ([-4.0], [4.0])

EPSILON = 1e-6
STABILIZER = 1e-6


def stabilize(z, eps):
    # Zennit's stabilize: eps added with the sign of z, sign(0) taken as +.
    return z + ((z == 0.).to(z) + z.sign()) * eps


# ---- rules (Zennit's BasicHook: outputs of modified layer copies, mapped gradients, a reducer) ----

def basic_rule(layer, x, weight, bias, relevance, input_mods, param_mods, mapper, reducer):
    inputs = [mod(x).detach().requires_grad_(True) for mod in input_mods]
    outputs = [layer(xi, *pm(weight, bias)) for xi, pm in zip(inputs, param_mods)]
    grads = mapper(relevance, outputs)
    vjps = [torch.autograd.grad(o, xi, grad_outputs=g, retain_graph=True)[0] for o, xi, g in zip(outputs, inputs, grads)]
    return reducer(inputs, vjps)


def keep(w, b):
    return w, b


def clamp(min=None, max=None, zero_bias=False):
    def mod(w, b):
        return w.clamp(min=min, max=max), (None if zero_bias or b is None else b.clamp(min=min, max=max))
    return mod


def gamma_mod(gamma, min=None, max=None, zero_bias=False):
    def mod(w, b):
        nb = None if zero_bias or b is None else b + gamma * b.clamp(min=min, max=max)
        return w + gamma * w.clamp(min=min, max=max), nb
    return mod


def identity(x):
    return x


def positive(x):
    return x.clamp(min=0)


def negative(x):
    return x.clamp(max=0)


def rule_epsilon(eps):
    def apply(layer, x, w, b, r):
        return basic_rule(layer, x, w, b, r, [identity], [keep],
                          lambda r, o: [r / stabilize(o[0], eps)], lambda i, g: i[0] * g[0])
    return apply


def rule_zplus(stab):
    def apply(layer, x, w, b, r):
        return basic_rule(layer, x, w, b, r, [positive, negative], [clamp(min=0.), clamp(max=0., zero_bias=True)],
                          lambda r, o: [r / stabilize(o[0] + o[1], stab)] * 2,
                          lambda i, g: i[0] * g[0] + i[1] * g[1])
    return apply


def rule_alpha_beta(alpha, beta, stab):
    def apply(layer, x, w, b, r):
        return basic_rule(layer, x, w, b, r, [positive, negative, positive, negative],
                          [clamp(min=0.), clamp(max=0., zero_bias=True), clamp(max=0.), clamp(min=0., zero_bias=True)],
                          lambda r, o: [r / stabilize(o[0] + o[1], stab)] * 2 + [r / stabilize(o[2] + o[3], stab)] * 2,
                          lambda i, g: alpha * (i[0] * g[0] + i[1] * g[1]) - beta * (i[2] * g[2] + i[3] * g[3]))
    return apply


def rule_gamma(gamma, stab):
    def apply(layer, x, w, b, r):
        def mapper(r, o):
            up, down = (o[4] > 0.).to(r), (o[4] < 0.).to(r)
            return [up * r / stabilize(o[0] + o[1], stab)] * 2 + [down * r / stabilize(o[2] + o[3], stab)] * 2 + [torch.zeros_like(r)]
        return basic_rule(layer, x, w, b, r, [positive, negative, positive, negative, identity],
                          [gamma_mod(gamma, min=0.), gamma_mod(gamma, max=0., zero_bias=True), gamma_mod(gamma, max=0.),
                           gamma_mod(gamma, min=0., zero_bias=True), keep],
                          mapper, lambda i, g: sum(xi * gi for xi, gi in zip(i[:4], g[:4])))
    return apply


def rule_flat(stab):
    def apply(layer, x, w, b, r):
        return basic_rule(layer, x, w, b, r, [torch.ones_like], [lambda w, b: (torch.ones_like(w), None)],
                          lambda r, o: [r / stabilize(o[0], stab)], lambda i, g: g[0])
    return apply


def rule_wsquare(stab):
    def apply(layer, x, w, b, r):
        return basic_rule(layer, x, w, b, r, [torch.ones_like], [lambda w, b: (w ** 2, None if b is None else b ** 2)],
                          lambda r, o: [r / stabilize(o[0], stab)], lambda i, g: g[0])
    return apply


def rule_zbox(low, high, stab):
    def bound(values, x):
        v = torch.tensor(values, dtype=x.dtype)
        return (v.reshape(1, -1, *([1] * (x.dim() - 2))) if len(values) > 1 else v.reshape(())).expand_as(x).clone()

    def apply(layer, x, w, b, r):
        return basic_rule(layer, x, w, b, r, [identity, lambda x: bound(low, x), lambda x: bound(high, x)],
                          [keep, clamp(min=0.), clamp(max=0.)],
                          lambda r, o: [r / stabilize(o[0] - o[1] - o[2], stab)] * 3,
                          lambda i, g: i[0] * g[0] - i[1] * g[1] - i[2] * g[2])
    return apply


def composites(box):
    low, high = box
    eps = rule_epsilon(EPSILON)
    return {
        # name: (convolution rule, dense rule, first-layer rule or None)
        "epsilon": (eps, eps, None),
        "epsilon-plus": (rule_zplus(STABILIZER), eps, None),
        "epsilon-plus-flat": (rule_zplus(STABILIZER), eps, rule_flat(STABILIZER)),
        "epsilon-gamma-box": (rule_gamma(0.25, STABILIZER), eps, rule_zbox(low, high, STABILIZER)),
        "epsilon-alpha2-beta1": (rule_alpha_beta(2., 1., STABILIZER), eps, None),
        "epsilon-alpha2-beta1-flat": (rule_alpha_beta(2., 1., STABILIZER), eps, rule_flat(STABILIZER)),
        # Single rules on every layer, beside the presets.
        "w-square-first": (rule_zplus(STABILIZER), eps, rule_wsquare(STABILIZER)),
    }


# ---- the ONNX graph in PyTorch ----

def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class Graph:
    def __init__(self, model):
        self.nodes = list(model.graph.node)
        self.values = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
        for node in self.nodes:
            if node.op_type == "Constant":
                self.values[node.output[0]] = torch.from_numpy(numpy_helper.to_array(attr(node, "value")).copy())
        self.layers = {}   # node name → (layer function, weight, bias): Conv and Gemm, BN folded in
        self.folded = set()
        self._canonise()

    def _conv_fn(self, node):
        pads = attr(node, "pads", [0, 0, 0, 0])
        assert pads[:2] == pads[2:], "asymmetric padding is not in the reference"
        stride, dilation, groups = attr(node, "strides", [1, 1]), attr(node, "dilations", [1, 1]), attr(node, "group", 1)
        return lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=pads[:2], dilation=dilation, groups=groups)

    def _gemm(self, node):
        assert attr(node, "transA", 0) == 0 and attr(node, "alpha", 1.0) == 1.0
        w = self.values[node.input[1]]
        w = w if attr(node, "transB", 0) else w.t()
        b = self.values[node.input[2]] * attr(node, "beta", 1.0) if len(node.input) > 2 else None
        return (lambda x, w, b: F.linear(x, w, b)), w, b

    def _canonise(self):
        consumers = {}
        for node in self.nodes:
            for i in node.input:
                consumers[i] = consumers.get(i, 0) + 1
        producers = {o: n for n in self.nodes for o in n.output}
        for node in self.nodes:
            if node.op_type == "Conv":
                b = self.values[node.input[2]] if len(node.input) > 2 and node.input[2] else None
                self.layers[node.output[0]] = [self._conv_fn(node), self.values[node.input[1]], b, node]
            elif node.op_type == "Gemm":
                fn, w, b = self._gemm(node)
                self.layers[node.output[0]] = [fn, w, b, node]
        for node in self.nodes:
            if node.op_type != "BatchNormalization" or consumers.get(node.input[0], 0) != 1:
                continue
            producer = producers.get(node.input[0])
            if producer is None or producer.op_type not in ("Conv", "Gemm"):
                continue
            gamma, beta, mean, var = (self.values[i] for i in node.input[1:5])
            scale = gamma / torch.sqrt(var + attr(node, "epsilon", 1e-5))
            fn, w, b, layer = self.layers.pop(producer.output[0])
            w = w * scale.reshape(-1, *([1] * (w.dim() - 1)))
            b = (b * scale if b is not None else 0) + beta - mean * scale
            self.layers[node.output[0]] = [fn, w, b, layer]
            self.folded.add(node.name)

    def forward(self, x):
        v = dict(self.values)
        v["input"] = x
        # Tensors that carry relevance: those computed from the input (a shape and what is made from it do not).
        self.dynamic = {"input"}
        for node in self.nodes:
            if node.op_type not in ("Shape", "ConstantOfShape", "Constant") and any(n in self.dynamic for n in node.input):
                self.dynamic.update(node.output)
        for node in self.nodes:
            i = [v[n] if n else None for n in node.input]
            op = node.op_type
            if op == "Constant":
                continue
            if op == "Conv":
                out = self._conv_fn(node)(i[0], i[1], i[2] if len(i) > 2 else None)
            elif op == "Gemm":
                fn, w, b = self._gemm(node)
                out = fn(i[0], w, b)
            elif op == "BatchNormalization":
                out = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, attr(node, "epsilon", 1e-5))
            elif op == "Relu":
                out = F.relu(i[0])
            elif op == "Clip":
                out = i[0].clamp(min=float(i[1]), max=float(i[2]))
            elif op == "MaxPool":
                out = self._maxpool(node)(i[0])
            elif op == "AveragePool":
                out = self._avgpool(node)(i[0])
            elif op == "GlobalAveragePool":
                out = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Pad":
                pads = [int(p) for p in i[1]]
                assert all(p == 0 for p in pads), "only empty padding is in the reference"
                out = i[0]
            elif op == "Flatten":
                out = i[0].flatten(attr(node, "axis", 1))
            elif op == "Add":
                out = i[0] + i[1]
            elif op in self.FUNCTIONS:
                out = self.FUNCTIONS[op](self, node, v)(*[t for t in i if t is not None][:self.ARITY.get(op, 1)])
            elif op == "Shape":
                out = torch.tensor(list(i[0].shape), dtype=torch.int64)
            elif op == "ConstantOfShape":
                value = numpy_helper.to_array(attr(node, "value")).reshape(-1)[0]
                out = torch.full([int(d) for d in i[0]], float(value))
            elif op == "LayerNormalization":
                out = self._layer_norm(node, v)(i[0])
            else:
                raise SystemExit(f"the reference has no {op}")
            v[node.output[0]] = out
        return v

    # Ops whose value is a function of their first input(s) alone once the node's constant inputs are read:
    # what the relevance walk calls through autograd to move relevance (routing) or to take a product's parts.
    def _reshape(self, node, v):
        shape = [int(d) for d in v[node.input[1]]]
        return lambda x: x.reshape([x.shape[k] if d == 0 else d for k, d in enumerate(shape)])

    def _slice(self, node, v):
        starts, ends = [int(t) for t in v[node.input[1]]], [int(t) for t in v[node.input[2]]]
        axes = [int(t) for t in v[node.input[3]]] if len(node.input) > 3 else list(range(len(starts)))
        steps = [int(t) for t in v[node.input[4]]] if len(node.input) > 4 else [1] * len(starts)

        def apply(x):
            index = [slice(None)] * x.dim()
            for a, b, e, st in zip(axes, starts, ends, steps):
                index[a] = slice(b, min(e, x.shape[a]), st)
            return x[tuple(index)]
        return apply

    def _gather(self, node, v):
        indices = v[node.input[1]].long()
        axis = attr(node, "axis", 0)
        return lambda x: torch.index_select(x, axis, indices.reshape(-1)).reshape(
            list(x.shape[:axis]) + list(indices.shape) + list(x.shape[axis + 1:]))

    FUNCTIONS = {
        "Reshape": _reshape,
        "Slice": _slice,
        "Gather": _gather,
        "Transpose": lambda self, node, v: (lambda x: x.permute(*attr(node, "perm"))),
        "Concat": lambda self, node, v: (lambda *xs: torch.cat(xs, dim=attr(node, "axis"))),
        "MatMul": lambda self, node, v: torch.matmul,
        "Mul": lambda self, node, v: (lambda a, b: a * b),
        "Div": lambda self, node, v: (lambda a, b: a / b),
        "Erf": lambda self, node, v: torch.erf,
        "Softmax": lambda self, node, v: (lambda x: torch.softmax(x, dim=attr(node, "axis", -1))),
    }
    ARITY = {"Concat": 1 << 30, "MatMul": 2, "Mul": 2, "Div": 2}

    def _layer_norm(self, node, v, hold_std=False):
        gamma, beta = v[node.input[1]], v[node.input[2]]
        axis, eps = attr(node, "axis", -1), attr(node, "epsilon", 1e-5)

        def apply(x):
            dims = tuple(range(axis % x.dim(), x.dim()))
            centred = x - x.mean(dim=dims, keepdim=True)
            std = torch.sqrt((centred ** 2).mean(dim=dims, keepdim=True) + eps)
            return gamma * centred / (std.detach() if hold_std else std) + beta
        return apply

    @staticmethod
    def _maxpool(node):
        k, s, p = attr(node, "kernel_shape"), attr(node, "strides"), attr(node, "pads", [0, 0, 0, 0])
        return lambda x: F.max_pool2d(x, k, s, p[:2])

    @staticmethod
    def _avgpool(node):
        k, s, p = attr(node, "kernel_shape"), attr(node, "strides"), attr(node, "pads", [0, 0, 0, 0])
        return lambda x: F.avg_pool2d(x, k, s, p[:2], count_include_pad=bool(attr(node, "count_include_pad", 0)))

    def relevance(self, x, seed, composite, relu_rule=None):
        """Relevance at the input; with relu_rule, the gradient of the seeded output with a modified ReLU instead."""
        v = self.forward(x)
        output = self.nodes[-1].output[0]
        conv_rule, dense_rule, first_rule = composite if composite else (None, None, None)
        first = next(n.name for n in self.nodes if n.op_type in ("Conv", "Gemm"))
        r = {output: v[output] * seed if composite else seed.clone()}

        def give(name, value):
            r[name] = r[name] + value if name in r else value

        def vjp(fn, x, g):
            xx = x.detach().requires_grad_(True)
            return torch.autograd.grad(fn(xx), xx, grad_outputs=g)[0]

        for node in reversed(self.nodes):
            out = node.output[0]
            if out not in r or node.op_type == "Constant":
                continue
            R = r.pop(out)
            op, i = node.op_type, node.input
            if op in ("Relu", "Clip"):
                if composite:
                    give(i[0], R)
                else:
                    x_in = v[i[0]]
                    lo = 0.0 if op == "Relu" else float(v[i[1]])
                    hi = float("inf") if op == "Relu" else float(v[i[2]])
                    active = ((x_in > lo) & (x_in < hi)).to(R)
                    if op == "Relu" and relu_rule == "guided-backprop":
                        give(i[0], R.clamp(min=0) * active)
                    elif op == "Relu" and relu_rule == "deconvnet":
                        give(i[0], R.clamp(min=0))
                    else:
                        give(i[0], R * active)
            elif op == "BatchNormalization":
                if node.name not in self.folded:  # a folded one's output belongs to its layer (below)
                    give(i[0], R if composite else vjp(lambda t: F.batch_norm(t, v[i[3]], v[i[4]], v[i[1]], v[i[2]], False, 0.0, attr(node, "epsilon", 1e-5)), v[i[0]], R))
            elif op in ("Conv", "Gemm"):
                pass  # handled below by the layer table
            elif op == "MaxPool":
                give(i[0], vjp(self._maxpool(node), v[i[0]], R))
            elif op in ("AveragePool", "GlobalAveragePool"):
                fn = self._avgpool(node) if op == "AveragePool" else (lambda t: t.mean(dim=(2, 3), keepdim=True))
                give(i[0], v[i[0]] * vjp(fn, v[i[0]], R / stabilize(v[out], STABILIZER)) if composite else vjp(fn, v[i[0]], R))
            elif op in ("Pad", "Flatten"):
                give(i[0], R.reshape(v[i[0]].shape))
            elif op == "Add":
                # Norm: each non-constant term takes its share; a constant term (a bias, a position embedding) keeps its own.
                for term in (t for t in i if t in self.dynamic):
                    if composite:
                        give(term, (v[term] * R / stabilize(v[out], STABILIZER)).sum_to_size(v[term].shape))
                    else:
                        give(term, R.sum_to_size(v[term].shape))
            elif op in ("Reshape", "Slice", "Gather", "Transpose"):
                give(i[0], vjp(self.FUNCTIONS[op](self, node, v), v[i[0]], R))
            elif op == "Concat":
                offset, axis = 0, attr(node, "axis")
                for term in i:
                    size = v[term].shape[axis]
                    if term in self.dynamic:
                        give(term, R.narrow(axis, offset, size))
                    offset += size
            elif node.name.startswith("blocks.") and ".gelu." in node.name:
                # AttnLRP's identity rule for the GELU module: its output's relevance goes to its input whole.
                gelu = node.name.rsplit(".", 1)[0]
                entry = next(n for n in self.nodes if n.name == gelu + ".Div").input[0]
                give(entry, R if composite else vjp(lambda t: F.gelu(t), v[entry], R))
            elif op in ("Mul", "MatMul"):
                terms = [k for k, t in enumerate(i) if t in self.dynamic]
                fn = self.FUNCTIONS[op](self, node, v)
                ratio = R / stabilize(v[out], STABILIZER) / len(terms) if composite else R
                leaves = [v[t].detach().requires_grad_(k in terms) for k, t in enumerate(i)]
                grads = torch.autograd.grad(fn(*leaves), [leaves[k] for k in terms], grad_outputs=ratio)
                for k, g in zip(terms, grads):
                    give(i[k], v[i[k]] * g if composite else g)
            elif op == "Softmax":
                s_out = v[out]
                dim = attr(node, "axis", -1)
                if composite:
                    give(i[0], v[i[0]] * (R - s_out * R.sum(dim=dim, keepdim=True)))
                else:
                    give(i[0], s_out * (R - (R * s_out).sum(dim=dim, keepdim=True)))
            elif op == "LayerNormalization":
                if composite:
                    give(i[0], v[i[0]] * vjp(self._layer_norm(node, v, hold_std=True), v[i[0]], R / stabilize(v[out], STABILIZER)))
                else:
                    give(i[0], vjp(self._layer_norm(node, v), v[i[0]], R))
            else:
                raise SystemExit(f"the reference has no relevance rule for {op}")

            # A Conv/Gemm (or the BN folded into one) owns its output: apply the layer's rule.
            if out in self.layers and (op in ("Conv", "Gemm") or node.name in self.folded):
                fn, w, b, layer = self.layers[out]
                data = layer.input[0]
                if composite:
                    rule = first_rule if layer.name == first and first_rule else conv_rule if layer.op_type == "Conv" else dense_rule
                    give(data, rule(fn, v[data], w, b, R))
                else:
                    give(data, vjp(lambda t: fn(t, w, b), v[data], R))
        return r["input"]


def write(folder, name, tensor):
    data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
    (folder / f"{name}.bin").write_bytes(data)
    return {"file": f"{name}.bin", "shape": list(tensor.shape), "sha256": hashlib.sha256(data).hexdigest()}


def main():
    torch.set_num_threads(2)
    torch.set_default_dtype(torch.float32)
    for name in MODELS:
        source = json.loads((GRADIENTS / name / "index.json").read_text())
        model_path = REPO / source["model"]
        graph = Graph(onnx.load(str(model_path)))
        shape = source["input"]["shape"]
        x = torch.from_numpy(np.fromfile(GRADIENTS / name / source["input"]["file"], dtype="<f4").reshape(shape).copy())
        seed = torch.from_numpy(np.fromfile(GRADIENTS / name / source["seed"]["file"], dtype="<f4").reshape(source["seed"]["shape"]).copy())
        # The reference's own forward pass must be the model's, or nothing below means anything.
        expected = np.fromfile(GRADIENTS / name / source["output"]["file"], dtype="<f4").reshape(source["output"]["shape"])
        forward = graph.forward(x)[graph.nodes[-1].output[0]].detach().numpy()
        assert np.abs(forward - expected).max() < 1e-4, f"{name}: the reference's forward pass is not the model's"
        # And with the plain rules the reference is autograd's gradient (the gradient fixture).
        grad = np.fromfile(GRADIENTS / name / source["gradients"]["input"]["file"], dtype="<f4").reshape(shape)
        assert np.abs(graph.relevance(x, seed, None).numpy() - grad).max() < 1e-4, f"{name}: the reference's backward walk is not the gradient"

        folder = FIXTURES / name
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.bin"):
            stale.unlink()
        box = BOXES.get(name, DEFAULT_BOX)
        assert x.min() >= min(box[0]) - 1e-5 and x.max() <= max(box[1]) + 1e-5, f"{name}: the input leaves the box"
        index = {
            "description": f"LRP relevance at the input of {name} for the gradient fixture's inputs and classes, by tools/models/lrp_fixtures.py",
            "model": source["model"],
            "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
            "input": {"name": source["input"]["name"], **write(folder, "input", x)},
            "output": {"name": source["output"]["name"]},
            "seed": write(folder, "seed", seed),
            "epsilon": EPSILON,
            "stabiliser": STABILIZER,
            "gamma": 0.25,
            "box": {"low": box[0], "high": box[1]},
            "relevance": {},
        }
        for composite, rules in composites(box).items():
            index["relevance"][composite] = write(folder, composite, graph.relevance(x, seed, rules))
        for relu_rule in ("guided-backprop", "deconvnet"):
            index["relevance"][relu_rule] = write(folder, relu_rule, graph.relevance(x, seed, None, relu_rule))
        (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n")
        sums = {k: float(np.fromfile(folder / f"{k}.bin", dtype="<f4").reshape(shape)[0].sum()) for k in index["relevance"]}
        print(f"{name}: score {float((forward * seed.numpy())[0].sum()):.4f}, relevance sums (sample 0): "
              + ", ".join(f"{k} {s:.4f}" for k, s in sums.items()))


if __name__ == "__main__":
    main()
