using Glassbox.Onnx.Protos;
using Glassbox.Onnx.Gradients;
using static Glassbox.Onnx.Gradients.GraphBuilder;

namespace Glassbox.Onnx.Graph;

/// <summary>
/// Rewrites, in place, a graph of opset 7–12 into the same computation at opset 13, the oldest the
/// gradient rules are written for: attributes that became inputs (Squeeze, Unsqueeze, ReduceSum
/// and Split axes; Clip bounds; Pad pads and value; Slice ranges; TopK's k), Upsample and Resize-10
/// as Resize-13 with the coordinate mapping they had, Softmax's old flatten-to-2-D meaning,
/// BatchNormalization's spatial flag and Dropout's ratio. Each rewrite is checked in the tests by
/// running both forms on ONNX Runtime. Python's version converter is not needed, and unlike it this
/// does not depend on knowing shapes.
/// </summary>
internal static class OpsetUpgrade
{
    public const long Target = 13;

    /// <summary>The oldest opset upgraded; older graphs had other broadcasting rules (Add's broadcast attribute).</summary>
    public const long Oldest = 7;

    /// <summary>Upgrades the main graph of <paramref name="proto"/> to <see cref="Target"/>; nothing to do at 13 or newer.</summary>
    public static void Apply(ModelProto proto, string source)
    {
        var import = proto.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx");
        long opset = import?.Version ?? 0;
        if (import is null || opset >= Target)
            return;
        if (opset < Oldest)
            throw new OnnxModelException($"Model '{source}' uses opset {opset}; Glassbox reads opset {Oldest} and newer (older files broadcast differently). Re-export it with a newer exporter.");
        var graph = proto.Graph;
        var names = new GraphBuilder(graph, "upgrade/");
        var index = new GraphIndex(graph);
        var rewritten = new List<NodeProto>(graph.Node.Count);
        foreach (var node in graph.Node)
        {
            if (node.Domain.Length > 0 && node.Domain != "ai.onnx")
            {
                rewritten.Add(node);
                continue;
            }
            rewritten.AddRange(Upgrade(node, opset, names, index, source));
        }
        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        import.Version = Target;
    }

    private static IEnumerable<NodeProto> Upgrade(NodeProto node, long opset, GraphBuilder names, GraphIndex index, string source)
    {
        switch (node.OpType)
        {
            case "Squeeze" or "Unsqueeze" or "ReduceSum":
                MoveIntsToInput(node, "axes", 1, names);
                return [node];
            case "Split":
                MoveIntsToInput(node, "split", 1, names);
                return [node];
            case "TopK" when opset < 10:
                if (Attr.Ints(node, "k") is null && node.Attribute.FirstOrDefault(a => a.Name == "k") is { } k)
                {
                    node.Attribute.Remove(k);
                    node.Input.Add(names.Int64s(k.I));
                }
                return [node];
            case "Clip" when opset < 11:
            {
                string? min = node.Attribute.Any(a => a.Name == "min") ? names.Float(Attr.Float(node, "min", 0f)) : null;
                string? max = node.Attribute.Any(a => a.Name == "max") ? names.Float(Attr.Float(node, "max", 0f)) : null;
                RemoveAttributes(node, "min", "max");
                node.Input.Add(min ?? "");
                node.Input.Add(max ?? "");
                return [node];
            }
            case "Pad" when opset < 11:
            {
                var pads = Attr.Ints(node, "pads") ?? throw new OnnxModelException($"Pad node '{node.Name}' of '{source}' has no pads attribute, which opset {opset} requires.");
                float value = Attr.Float(node, "value", 0f);
                RemoveAttributes(node, "pads", "value");
                node.Input.Add(names.Int64s(pads));
                node.Input.Add(names.Float(value));
                return [node];
            }
            case "Slice" when opset < 10:
            {
                var starts = Attr.Ints(node, "starts") ?? throw new OnnxModelException($"Slice node '{node.Name}' of '{source}' has no starts attribute, which opset {opset} requires.");
                var ends = Attr.Ints(node, "ends") ?? throw new OnnxModelException($"Slice node '{node.Name}' of '{source}' has no ends attribute, which opset {opset} requires.");
                var axes = Attr.Ints(node, "axes");
                RemoveAttributes(node, "starts", "ends", "axes");
                node.Input.Add(names.Int64s(starts));
                node.Input.Add(names.Int64s(ends));
                if (axes is not null)
                    node.Input.Add(names.Int64s(axes));
                return [node];
            }
            case "Upsample":
                return [UpsampleAsResize(node, opset, names, index, source)];
            case "Resize" when opset < 11:
                return [UpsampleAsResize(node, opset, names, index, source)];
            case "BatchNormalization" when opset < 9:
                if (Attr.Int(node, "spatial", 1) != 1)
                    throw new OnnxModelException($"BatchNormalization node '{node.Name}' of '{source}' normalises per element (spatial = 0), which opset 9 dropped; Glassbox reads only per-channel normalisation.");
                RemoveAttributes(node, "spatial");
                return [node];
            case "Dropout" when opset < 12:
                // Inference: the identity. Dropout-12 moved the ratio to an input; no mask is read at inference.
                RemoveAttributes(node, "ratio", "is_test");
                if (node.Output.Count > 1 && node.Output[1].Length > 0)
                    throw new OnnxModelException($"Dropout node '{node.Name}' of '{source}' exposes its mask '{node.Output[1]}', which is meaningless at inference; re-export the model in eval mode.");
                return [new NodeProto { OpType = "Identity", Name = node.Name, Input = { node.Input[0] }, Output = { node.Output[0] } }];
            case "Softmax" or "LogSoftmax" or "Hardmax":
                return OldSoftmax(node, names);
            default:
                return [node];
        }
    }

    /// <summary>
    /// Before 13 these flattened the input to 2-D at <c>axis</c> (default 1) and normalised the whole
    /// second part. Flatten, normalise the last axis, reshape back: the same numbers at any rank.
    /// </summary>
    private static IEnumerable<NodeProto> OldSoftmax(NodeProto node, GraphBuilder names)
    {
        long axis = Attr.Int(node, "axis", 1);
        RemoveAttributes(node, "axis");
        string x = node.Input[0], y = node.Output[0];
        string flat = names.Unique(y + "/flat"), normalised = names.Unique(y + "/normalised"), shape = names.Unique(y + "/shape");
        return
        [
            new NodeProto { OpType = "Flatten", Name = names.Unique(node.Name + "/flatten"), Input = { x }, Output = { flat }, Attribute = { AttrInt("axis", axis) } },
            new NodeProto { OpType = node.OpType, Name = node.Name, Input = { flat }, Output = { normalised }, Attribute = { AttrInt("axis", -1) } },
            new NodeProto { OpType = "Shape", Name = names.Unique(node.Name + "/shape"), Input = { x }, Output = { shape } },
            new NodeProto { OpType = "Reshape", Name = names.Unique(node.Name + "/restore"), Input = { normalised, shape }, Output = { y } },
        ];
    }

    /// <summary>
    /// Upsample (7: scales attribute; 9: scales input) and Resize-10 map output coordinates onto the
    /// input as x / scale ("asymmetric"); nearest takes the floor, and Resize-10 when shrinking
    /// rounds up (ONNX Runtime's "simple" rule), which Resize-13 says with nearest_mode.
    /// </summary>
    private static NodeProto UpsampleAsResize(NodeProto node, long opset, GraphBuilder names, GraphIndex index, string source)
    {
        string mode = Attr.String(node, "mode", "nearest");
        if (mode is "bilinear" or "trilinear")
            mode = "linear";
        if (mode is not ("nearest" or "linear"))
            throw new OnnxModelException($"{node.OpType} node '{node.Name}' of '{source}' uses mode '{mode}'; opset {opset} knows nearest and linear.");
        string scales;
        float[]? known;
        if (node.OpType == "Upsample" && opset < 9)
        {
            known = node.Attribute.FirstOrDefault(a => a.Name == "scales")?.Floats.ToArray()
                    ?? throw new OnnxModelException($"Upsample node '{node.Name}' of '{source}' has no scales attribute, which opset {opset} requires.");
            scales = names.Floats(known, [known.Length]);
        }
        else
        {
            scales = node.Input.Count > 1 ? node.Input[1] : throw new OnnxModelException($"{node.OpType} node '{node.Name}' of '{source}' has no scales input.");
            known = index.Floats(scales);
        }
        string nearestMode = "floor";
        if (mode == "nearest" && known is not null)
        {
            bool shrinks = known.Any(s => s < 1f), grows = known.Any(s => s > 1f);
            if (shrinks && grows)
                throw new OnnxModelException($"{node.OpType} node '{node.Name}' of '{source}' shrinks some axes and grows others with nearest sampling; no Resize-13 rounding rule reproduces that. Re-export it at opset 11 or newer.");
            if (shrinks)
                nearestMode = "ceil";
        }
        var resize = new NodeProto { OpType = "Resize", Name = node.Name, Input = { node.Input[0], "", scales }, Output = { node.Output[0] } };
        resize.Attribute.Add(AttrString("mode", mode));
        resize.Attribute.Add(AttrString("coordinate_transformation_mode", "asymmetric"));
        if (mode == "nearest")
            resize.Attribute.Add(AttrString("nearest_mode", nearestMode));
        return resize;
    }

    private static void MoveIntsToInput(NodeProto node, string attribute, int position, GraphBuilder names)
    {
        var found = node.Attribute.FirstOrDefault(a => a.Name == attribute);
        if (found is null)
            return;
        node.Attribute.Remove(found);
        while (node.Input.Count < position)
            node.Input.Add("");
        node.Input.Insert(position, names.Int64s([.. found.Ints]));
    }

    private static void RemoveAttributes(NodeProto node, params string[] attributeNames)
    {
        foreach (var a in node.Attribute.Where(a => attributeNames.Contains(a.Name)).ToList())
            node.Attribute.Remove(a);
    }
}
