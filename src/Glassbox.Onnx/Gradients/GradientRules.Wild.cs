using Glassbox.Onnx.Graph;
using Glassbox.Onnx.Protos;
using static Glassbox.Onnx.Gradients.GraphBuilder;

namespace Glassbox.Onnx.Gradients;

/// <summary>
/// Rules for what models from other exporters and other tasks bring: upsampling (ConvTranspose,
/// Resize, DepthToSpace), rearrangement (SpaceToDepth, Tile, GatherElements), normalisation
/// (InstanceNormalization, GroupNormalization, LRN), more activations and reductions. Where a rule
/// needs a size it reads it from the forward tensors at run time when shape inference cannot give
/// it, so one derived graph serves every input size.
/// </summary>
internal static partial class GradientRules
{
    private static void AddWildRules(Dictionary<string, Rule> rules)
    {
        rules["Abs"] = c => [c.B.Mul(c.DY, c.B.Op("Sign", c.X(0)))];
        rules["Reciprocal"] = c => [c.B.Neg(c.B.Mul(c.DY, c.B.Mul(c.Y(), c.Y())))];
        rules["Softplus"] = c => [c.B.Mul(c.DY, c.B.Op("Sigmoid", c.X(0)))];
        rules["Elu"] = c =>
        {
            // Below zero y = α(eˣ − 1), so dy/dx = y + α.
            float alpha = Attr.Float(c.Node, "alpha", 1f);
            return [c.B.Op("Where", c.B.Op("Greater", c.X(0), c.B.Float(0f)), c.DY, c.B.Mul(c.DY, c.B.Add(c.Y(), c.B.Float(alpha))))];
        };
        rules["Selu"] = c =>
        {
            float alpha = Attr.Float(c.Node, "alpha", 1.67326319217681884765625f), gamma = Attr.Float(c.Node, "gamma", 1.05070102214813232421875f);
            return [c.B.Op("Where", c.B.Op("Greater", c.X(0), c.B.Float(0f)), c.B.Scale(c.DY, gamma), c.B.Mul(c.DY, c.B.Add(c.Y(), c.B.Float(alpha * gamma))))];
        };
        rules["Mish"] = c =>
        {
            // y = x·tanh(softplus x): dy/dx = t + x(1 − t²)σ(x).
            var x = c.X(0);
            var t = c.B.Op("Tanh", c.B.Op("Softplus", x));
            var slope = c.B.Add(t, c.B.Mul(x, c.B.Mul(c.B.Sub(c.B.Float(1f), c.B.Mul(t, t)), c.B.Op("Sigmoid", x))));
            return [c.B.Mul(c.DY, slope)];
        };
        rules["Min"] = Extremum;
        rules["Max"] = Extremum;
        rules["GlobalMaxPool"] = GlobalMaxPool;
        rules["ReduceMax"] = c => ReduceExtremum(c);
        rules["ReduceMin"] = c => ReduceExtremum(c);
        rules["ReduceL2"] = ReduceL2;
        rules["Tile"] = Tile;
        rules["GatherElements"] = c =>
        {
            if (c.B.OpsetCeiling < 16)
                throw c.Fail("adds its gradient back with ScatterElements' reduction, which needs opset 16; export at opset 16 or newer");
            long axis = Attr.Int(c.Node, "axis", 0);
            var zeros = c.B.Filled(c.X(0), 0f);
            return [c.B.Op("ScatterElements", [zeros, c.X(1), c.DY], AttrInt("axis", axis), AttrString("reduction", "add")), null];
        };
        rules["ConvTranspose"] = ConvTranspose;
        rules["Resize"] = Resize;
        rules["DepthToSpace"] = DepthToSpace;
        rules["SpaceToDepth"] = SpaceToDepth;
        rules["InstanceNormalization"] = InstanceNormalization;
        rules["GroupNormalization"] = GroupNormalization;
        rules["LRN"] = Lrn;
    }

    /// <summary>
    /// Min and Max pass the gradient to the input that is the result; equal inputs share it evenly,
    /// as PyTorch's minimum and maximum do.
    /// </summary>
    private static string?[] Extremum(RuleContext c)
    {
        int count = c.Node.Input.Count;
        if (count == 1)
            return [c.B.Op("Identity", c.DY)];
        var masks = Enumerable.Range(0, count).Select(i => c.B.Op("Cast", [c.B.Op("Equal", c.X(i), c.Y())], AttrInt("to", (int)TensorProto.Types.DataType.Float))).ToArray();
        var share = c.B.Div(c.DY, c.B.Sum(masks));
        return Enumerable.Range(0, count).Select(i => c.Needs(i) ? c.ReduceTo(c.B.Mul(share, masks[i]), c.Y(), c.X(i)) : null).ToArray();
    }

    /// <summary>The gradient goes to the first maximum of each channel, as PyTorch's adaptive max pooling does.</summary>
    private static string?[] GlobalMaxPool(RuleContext c)
    {
        var x = c.X(0);
        var b = c.B;
        var rows = b.Op("Reshape", x, b.Int64s(0, 0, -1));
        var first = b.Op("ArgMax", [rows], AttrInt("axis", 2), AttrInt("keepdims", 1));
        var zeros = b.Filled(rows, 0f);
        var scattered = b.Op("ScatterElements", [zeros, first, b.Op("Reshape", c.DY, b.Int64s(0, 0, 1))], AttrInt("axis", 2));
        return [b.Op("Reshape", scattered, b.ShapeOf(x))];
    }

    /// <summary>ReduceMax/ReduceMin: the reduced value's positions share the gradient evenly (PyTorch's amax/amin).</summary>
    private static string?[] ReduceExtremum(RuleContext c)
    {
        var x = c.X(0);
        var (g, y) = KeptDims(c);
        var mask = c.B.Op("Cast", [c.B.Op("Equal", x, y)], AttrInt("to", (int)TensorProto.Types.DataType.Float));
        var axes = ReducedAxes(c);
        var count = axes is null ? c.B.Op("ReduceSum", [mask], AttrInt("keepdims", 1)) : c.B.ReduceSum(mask, axes, keepDims: true);
        return [c.B.Mul(mask, c.B.Div(g, count)), null];
    }

    private static string?[] ReduceL2(RuleContext c)
    {
        var (g, y) = KeptDims(c);
        var b = c.B;
        // y = ‖x‖: dx = dy·x / y, and 0 where the norm is 0 (PyTorch's subgradient).
        var safe = b.Op("Where", b.Op("Greater", y, b.Float(0f)), y, b.Float(1f));
        var scaled = b.Mul(c.X(0), b.Div(g, safe));
        return [b.Op("Where", b.Op("Greater", y, b.Float(0f)), scaled, b.Float(0f)), null];
    }

    /// <summary>The axes a Reduce node reduces, normalised; null when it reduces every axis of an input of unknown rank.</summary>
    private static long[]? ReducedAxes(RuleContext c)
    {
        bool axesAsInput = c.Node.Input.Count > 1 && c.Node.Input[1].Length > 0;
        var axes = axesAsInput ? c.KnownInts(1) ?? throw c.Fail("axes must be constant") : Attr.Ints(c.Node, "axes") ?? [];
        if (axes.Length == 0)
        {
            if (Attr.Int(c.Node, "noop_with_empty_axes", 0) != 0)
                throw c.Fail("noop_with_empty_axes reduces nothing; the node should not be on a gradient path");
            return c.Shapes[c.X(0)] is { } all ? Enumerable.Range(0, all.Rank).Select(i => (long)i).ToArray() : null;
        }
        int rank = c.RankOf(c.X(0), "to normalise negative axes");
        return axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
    }

    /// <summary>The output gradient and the output with the reduced axes kept (size 1), so they broadcast against the input.</summary>
    private static (string Gradient, string Output) KeptDims(RuleContext c)
    {
        if (Attr.Int(c.Node, "keepdims", 1) != 0)
            return (c.DY, c.Y());
        var axes = ReducedAxes(c) ?? throw c.Fail("needs the rank of its input to restore the reduced axes");
        var kept = c.B.Int64s(axes);
        return (c.B.Op("Unsqueeze", c.DY, kept), c.B.Op("Unsqueeze", c.Y(), kept));
    }

    /// <summary>
    /// Tile lays copies end to end: view dY as [r₀, d₀, r₁, d₁, …] and sum the repeats away. The
    /// interleaved shape is built from the input's shape and the repeats at run time.
    /// </summary>
    private static string?[] Tile(RuleContext c)
    {
        var b = c.B;
        var repeats = c.X(1);
        int rank = c.RankOf(c.X(0), "to sum the copies");
        var pairs = b.Op("Concat", [b.Op("Unsqueeze", repeats, b.Int64s(1)), b.Op("Unsqueeze", b.ShapeOf(c.X(0)), b.Int64s(1))], AttrInt("axis", 1));
        var interleaved = b.Op("Reshape", c.DY, b.Op("Reshape", pairs, b.Int64s(-1)));
        var summed = b.Op("ReduceSum", [interleaved, b.Int64s(Enumerable.Range(0, rank).Select(i => 2L * i).ToArray())], AttrInt("keepdims", 0));
        return [summed, null];
    }

    /// <summary>
    /// ConvTranspose is the adjoint of Conv with the same weights, strides, dilations, pads and
    /// groups, so its input gradient is that convolution of dY; output_padding only adds rows no
    /// input reaches.
    /// </summary>
    private static string?[] ConvTranspose(RuleContext c)
    {
        if (c.Needs(1) || c.Needs(2))
            throw c.Fail("gradients with respect to weights or bias are not derived (they are parameters)");
        var w = c.ShapeOf(c.X(1), "for the kernel size");
        int spatial = w.Rank - 2;
        var kernel = Attr.Ints(c.Node, "kernel_shape") ?? w.Dimensions.Skip(2).ToArray();
        if (kernel.Any(k => k < 1))
            throw c.Fail("needs a known kernel size");
        var strides = Attr.Ints(c.Node, "strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = Attr.Ints(c.Node, "dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var outputPadding = Attr.Ints(c.Node, "output_padding") ?? new long[spatial];
        long group = Attr.Int(c.Node, "group", 1);
        string autoPad = Attr.String(c.Node, "auto_pad", "NOTSET");
        var pads = Attr.Ints(c.Node, "pads") ?? new long[2 * spatial];
        var outputShape = Attr.Ints(c.Node, "output_shape");
        if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // Total padding = s(in − 1) + output_padding + d(k − 1) + 1 − out; SAME makes out = in·s.
            var x = c.Shapes[c.X(0)];
            pads = new long[2 * spatial];
            for (int i = 0; i < spatial; i++)
            {
                long effective = dilations[i] * (kernel[i] - 1) + 1;
                long total;
                if (outputShape is null)
                {
                    total = outputPadding[i] + effective - strides[i];
                }
                else
                {
                    long inputSize = x is not null && x.Rank == spatial + 2 ? x[i + 2] : -1;
                    if (inputSize < 0)
                        throw c.Fail("output_shape with an input of unknown size has no gradient rule; fix the input size or give pads");
                    total = strides[i] * (inputSize - 1) + outputPadding[i] + effective - outputShape[outputShape.Length - spatial + i];
                }
                total = Math.Max(0, total);
                // ONNX Runtime puts the larger half at the end for SAME_UPPER, at the start otherwise (SAME_LOWER, output_shape).
                long small = total / 2;
                (pads[i], pads[i + spatial]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
            }
        }
        return [c.B.Op("Conv", [c.DY, c.X(1)], AttrInts("kernel_shape", kernel), AttrInts("strides", strides), AttrInts("dilations", dilations),
            AttrInts("pads", pads), AttrInt("group", group)), null, null];
    }

    /// <summary>
    /// Resize is linear in its input and separable by axis: Y = R_h · X · R_wᵀ for interpolation
    /// matrices R, so dX = R_hᵀ · dY · R_w. Each R comes from resizing an identity matrix with the
    /// node's own mode, coordinate mapping, rounding and scale, so the backward matches whatever
    /// the runtime's forward computes (nearest with any rounding, linear, cubic, antialiasing), at
    /// any input size.
    /// </summary>
    private static string?[] Resize(RuleContext c)
    {
        string coordinates = Attr.String(c.Node, "coordinate_transformation_mode", "half_pixel");
        if (coordinates == "tf_crop_and_resize")
            throw c.Fail("tf_crop_and_resize samples a region of interest and has no gradient rule");
        if (Attr.String(c.Node, "keep_aspect_ratio_policy", "stretch") != "stretch")
            throw c.Fail("keep_aspect_ratio_policy other than stretch has no gradient rule");
        var x = c.X(0);
        int rank = c.RankOf(x, "to find the resized axes");
        var axesAttribute = Attr.Ints(c.Node, "axes")?.Select(a => a < 0 ? a + rank : a).ToArray();
        var resizedAxes = axesAttribute ?? Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        string? scales = c.Node.Input.Count > 2 && c.Node.Input[2].Length > 0 ? c.X(2) : null;
        string? sizes = c.Node.Input.Count > 3 && c.Node.Input[3].Length > 0 ? c.X(3) : null;
        if (scales is not null && c.Shapes[scales] is { Rank: 1 } s && s[0] == 0)
            scales = null;
        if (scales is null && sizes is null)
            throw c.Fail("has neither scales nor sizes");

        var knownScales = scales is null ? null : c.Index.Floats(scales);
        var knownSizes = sizes is null ? null : c.Shapes.KnownInts(sizes);
        var inputShape = c.Shapes[x];
        var outputShape = c.Shapes[c.Y()];
        bool? Resized(int axis)
        {
            int k = Array.IndexOf(resizedAxes, (long)axis);
            if (k < 0)
                return false;
            if (knownScales is not null)
                return knownScales[k] != 1f;
            if (inputShape is not null && outputShape is not null && inputShape[axis] >= 0 && outputShape[axis] >= 0)
                return inputShape[axis] != outputShape[axis];
            if (knownSizes is not null && inputShape is not null && inputShape[axis] >= 0)
                return knownSizes[k] != inputShape[axis];
            return null;
        }
        for (int axis = 0; axis < rank - 2; axis++)
        {
            // Image layouts resize only the last two axes; a batch or channel axis of unknown size is taken as kept.
            if (Resized(axis) == true)
                throw c.Fail($"resizes axis {axis}; only the last two axes (height and width) have a gradient rule");
        }

        var attributes = c.Node.Attribute.Where(a => a.Name is "mode" or "coordinate_transformation_mode" or "nearest_mode" or "cubic_coeff_a" or "exclude_outside" or "antialias").ToArray();
        var b = c.B;
        string Interpolation(int axis)
        {
            // R (out × in) = Resize(I_in) along the rows, with the node's scale for that axis (or its output size).
            var size = b.Op("Slice", b.ShapeOf(x), b.Int64s(axis), b.Int64s(axis + 1));
            var identity = b.Op("EyeLike", [b.Op("ConstantOfShape", [b.Op("Concat", [size, size], AttrInt("axis", 0))],
                AttrTensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { 0f } }))]);
            int k = Array.IndexOf(resizedAxes, (long)axis);
            if (scales is not null)
            {
                string rowScale = knownScales is not null ? b.Floats([knownScales[k], 1f], [2])
                    : b.Op("Concat", [b.Op("Slice", scales, b.Int64s(k), b.Int64s(k + 1)), b.Floats([1f], [1])], AttrInt("axis", 0));
                return b.Op("Resize", [identity, "", rowScale], attributes);
            }
            var outSize = b.Op("Slice", b.ShapeOf(c.Y()), b.Int64s(axis), b.Int64s(axis + 1));
            return b.Op("Resize", [identity, "", "", b.Op("Concat", [outSize, size], AttrInt("axis", 0))], attributes);
        }

        var g = c.DY;
        if (Resized(rank - 1) != false)
            g = b.Op("MatMul", g, Interpolation(rank - 1));
        if (rank >= 2 && Resized(rank - 2) != false)
            g = b.Op("MatMul", b.Op("Transpose", [Interpolation(rank - 2)], AttrInts("perm", [1, 0])), g);
        if (g == c.DY)
            g = b.Op("Identity", g);
        return [g, null, null, null];
    }

    /// <summary>DepthToSpace is a reshape, a transpose and a reshape: undo them in reverse.</summary>
    private static string?[] DepthToSpace(RuleContext c)
    {
        long block = Attr.Int(c.Node, "blocksize", 0);
        if (block < 1)
            throw c.Fail("needs a positive blocksize");
        if (c.RankOf(c.X(0), "to undo the rearrangement") != 4)
            throw c.Fail("only 4-D tensors have a gradient rule");
        bool columnRowDepth = Attr.String(c.Node, "mode", "DCR") == "CRD";
        var b = c.B;
        var xShape = b.ShapeOf(c.X(0));
        // dY [N, C', H·b, W·b] viewed as [N, C', H, b, W, b]: the layout after the forward transpose.
        var viewed = b.Op("Reshape", c.DY, b.Op("Concat",
            [b.Op("Slice", b.ShapeOf(c.DY), b.Int64s(0), b.Int64s(2)), b.Op("Slice", xShape, b.Int64s(2), b.Int64s(3)), b.Int64s(block),
             b.Op("Slice", xShape, b.Int64s(3), b.Int64s(4)), b.Int64s(block)], AttrInt("axis", 0)));
        // DCR's forward perm [0,3,4,1,5,2] and CRD's [0,1,4,2,5,3], inverted.
        long[] inverse = columnRowDepth ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4];
        return [b.Op("Reshape", b.Op("Transpose", [viewed], AttrInts("perm", inverse)), xShape)];
    }

    private static string?[] SpaceToDepth(RuleContext c)
    {
        long block = Attr.Int(c.Node, "blocksize", 0);
        if (block < 1)
            throw c.Fail("needs a positive blocksize");
        if (c.RankOf(c.X(0), "to undo the rearrangement") != 4)
            throw c.Fail("only 4-D tensors have a gradient rule");
        var b = c.B;
        var xShape = b.ShapeOf(c.X(0));
        // dY [N, b·b·C, H/b, W/b] viewed as [N, b, b, C, H/b, W/b]: the forward's transposed layout.
        var viewed = b.Op("Reshape", c.DY, b.Op("Concat",
            [b.Op("Slice", xShape, b.Int64s(0), b.Int64s(1)), b.Int64s(block, block), b.Op("Slice", xShape, b.Int64s(1), b.Int64s(2)),
             b.Op("Slice", b.ShapeOf(c.DY), b.Int64s(2), b.Int64s(4))], AttrInt("axis", 0)));
        // Forward perm [0,3,5,1,2,4], inverted.
        return [b.Op("Reshape", b.Op("Transpose", [viewed], AttrInts("perm", [0, 3, 4, 1, 5, 2])), xShape)];
    }

    /// <summary>
    /// The backward of normalising <paramref name="x"/> over <paramref name="axes"/> (keepdims) given
    /// g = dY·scale: (g − mean g − x̂·mean(g·x̂)) / σ.
    /// </summary>
    private static string NormalisationBackward(RuleContext c, string x, string g, long[] axes, float epsilon)
    {
        var b = c.B;
        var count = b.Op("Cast", [b.Op("ReduceProd", [b.Op("Gather", [b.ShapeOf(x), b.Int64s(axes)], AttrInt("axis", 0))], AttrInt("keepdims", 0))],
            AttrInt("to", (int)TensorProto.Types.DataType.Float));
        string Mean(string t) => b.Div(b.ReduceSum(t, axes, keepDims: true), count);
        var centred = b.Sub(x, Mean(x));
        var inverseStd = b.Div(b.Float(1f), b.Op("Sqrt", b.Add(Mean(b.Mul(centred, centred)), b.Float(epsilon))));
        var normalised = b.Mul(centred, inverseStd);
        var inner = b.Sub(b.Sub(g, Mean(g)), b.Mul(normalised, Mean(b.Mul(g, normalised))));
        return b.Mul(inner, inverseStd);
    }

    private static string?[] InstanceNormalization(RuleContext c)
    {
        if (c.Needs(1) || c.Needs(2))
            throw c.Fail("gradients with respect to scale or bias are not derived (they are parameters)");
        var x = c.X(0);
        int rank = c.RankOf(x, "to know the normalised axes");
        float epsilon = Attr.Float(c.Node, "epsilon", 1e-5f);
        var perChannel = c.B.Op("Unsqueeze", c.X(1), c.B.Int64s(Enumerable.Range(1, rank - 2).Select(i => (long)i).ToArray()));
        var g = c.B.Mul(c.DY, perChannel);
        return [NormalisationBackward(c, x, g, Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray(), epsilon), null, null];
    }

    private static string?[] GroupNormalization(RuleContext c)
    {
        if (c.Needs(1) || c.Needs(2))
            throw c.Fail("gradients with respect to scale or bias are not derived (they are parameters)");
        long groups = Attr.Int(c.Node, "num_groups", 0);
        if (groups < 1)
            throw c.Fail("needs a positive num_groups");
        var x = c.X(0);
        int rank = c.RankOf(x, "to group the channels");
        float epsilon = Attr.Float(c.Node, "epsilon", 1e-5f);
        var b = c.B;
        var grouped = b.Int64s(0, groups, -1);
        string g;
        var scale = c.ShapeOf(c.X(1), "to tell a per-group scale (opset 18) from a per-channel one (21)");
        var channels = c.ShapeOf(x, "for the channel count")[1];
        if (scale[0] == groups && channels != groups)
        {
            // Opset 18: one scale per group, applied to the grouped view.
            g = b.Mul(b.Op("Reshape", c.DY, grouped), b.Op("Unsqueeze", c.X(1), b.Int64s(1)));
        }
        else
        {
            var perChannel = b.Op("Unsqueeze", c.X(1), b.Int64s(Enumerable.Range(1, rank - 2).Select(i => (long)i).ToArray()));
            g = b.Op("Reshape", b.Mul(c.DY, perChannel), grouped);
        }
        var dx = NormalisationBackward(c, b.Op("Reshape", x, grouped), g, [2], epsilon);
        return [b.Op("Reshape", dx, b.ShapeOf(x)), null, null];
    }

    /// <summary>
    /// LRN: y = x·d^(−β), d = k + (α/n)·Σ_window x². dx_i = dY_i·d_i^(−β) − (2αβ/n)·x_i·Σ_{j: i ∈ window(j)} dY_j·x_j·d_j^(−β−1);
    /// the sums over channel windows are sums of shifted slices of a channel-padded tensor.
    /// </summary>
    private static string?[] Lrn(RuleContext c)
    {
        long size = Attr.Int(c.Node, "size", 0);
        if (size < 1)
            throw c.Fail("needs a positive size");
        float alpha = Attr.Float(c.Node, "alpha", 1e-4f), beta = Attr.Float(c.Node, "beta", 0.75f), bias = Attr.Float(c.Node, "bias", 1f);
        var x = c.X(0);
        int rank = c.RankOf(x, "to pad the channel axis");
        long below = (size - 1) / 2, above = size - 1 - below;
        var b = c.B;
        string WindowSum(string t, long before, long after)
        {
            var pads = new long[2 * rank];
            pads[1] = before;
            pads[rank + 1] = after;
            var padded = b.Op("Pad", t, b.Int64s(pads));
            var channels = b.Op("Slice", b.ShapeOf(t), b.Int64s(1), b.Int64s(2));
            var terms = new List<string>();
            for (long k = 0; k < size; k++)
                terms.Add(b.Op("Slice", padded, b.Int64s(k), b.Add(channels, b.Int64s(k)), b.Int64s(1)));
            return b.Sum(terms);
        }
        var d = b.Add(b.Float(bias), b.Scale(WindowSum(b.Mul(x, x), below, above), alpha / size));
        var direct = b.Mul(c.DY, b.Op("Pow", d, b.Float(-beta)));
        var inner = b.Mul(b.Mul(c.DY, x), b.Op("Pow", d, b.Float(-beta - 1f)));
        var spread = WindowSum(inner, above, below);
        return [b.Sub(direct, b.Scale(b.Mul(x, spread), 2f * alpha * beta / size))];
    }
}
