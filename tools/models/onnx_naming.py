"""Readable names for exported graphs: '/blocks.0/attn/softmax/Softmax' → 'blocks.0.attn.softmax'."""
import collections
import re

import onnx

_OP_SUFFIX = re.compile(r"^[A-Z][A-Za-z]*(_\d+)?$")


def drop_initializer_identities(model: onnx.ModelProto) -> None:
    """The exporter writes Identity nodes that only copy an initializer; read the initializer directly."""
    graph = model.graph
    initializers = {i.name for i in graph.initializer}
    outputs = {o.name for o in graph.output}
    alias = {}
    for node in list(graph.node):
        if node.op_type == "Identity" and node.input[0] in initializers and node.output[0] not in outputs:
            alias[node.output[0]] = node.input[0]
            graph.node.remove(node)
    for node in graph.node:
        node.input[:] = [alias.get(x, x) for x in node.input]


def readable_names(model: onnx.ModelProto, keep=("input", "logits")) -> None:
    """Renames nodes after the module that made them, and each node's tensor after its node.
    A module that exported one node gets its own name (conv1); one that exported several keeps
    the op as a suffix (blocks.0.attn.MatMul_1). Graph inputs, outputs named in keep, and
    initializers keep their names."""
    graph = model.graph
    by_module = collections.Counter(_module_path(n.name) for n in graph.node)
    renamed = {}
    used = set(i.name for i in graph.initializer) | set(keep)
    for node in graph.node:
        module = _module_path(node.name)
        op = node.name.rsplit("/", 1)[-1] if "/" in node.name else node.name
        if module and by_module[module] == 1:
            name = module
        elif module:
            name = f"{module}.{op}" if _OP_SUFFIX.match(op) else f"{module}.{node.op_type}"
        else:
            name = op or node.op_type
        base, n = name, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        node.name = name
        for i, out in enumerate(node.output):
            if out in keep or out == "":
                continue
            renamed[out] = name if len(node.output) == 1 else f"{name}:{i}"
    for node in graph.node:
        node.input[:] = [renamed.get(x, x) for x in node.input]
        node.output[:] = [renamed.get(x, x) for x in node.output]
    for value in list(graph.value_info) + list(graph.output):
        value.name = renamed.get(value.name, value.name)


def _module_path(node_name: str) -> str:
    parts = [p for p in node_name.split("/") if p]
    return ".".join(parts[:-1])
