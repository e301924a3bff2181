using Glassbox.Onnx.Protos;

namespace Glassbox.Onnx.Graph;

/// <summary>
/// Best-effort static shapes for the tensors of a graph: ranks always where the op is known, sizes
/// where they follow from the input shapes and constant inputs, symbolic names (such as "batch")
/// carried through. Unknown sizes are <see cref="TensorShape.Dynamic"/>; an unknown rank is a
/// missing entry. The gradient rules ask for what they need and say so when it is missing.
/// </summary>
internal sealed class ShapeInference
{
    private readonly GraphIndex _index;
    private readonly long _opset;
    private readonly Dictionary<string, TensorShape> _shapes = new(StringComparer.Ordinal);
    // Small int64 vectors computed from shapes (Shape → Gather → Concat → Reshape chains), element by
    // element known or not, so a reshape whose target is computed at run time still gets its rank and sizes.
    private readonly Dictionary<string, ShapeValue> _values = new(StringComparer.Ordinal);

    public ShapeInference(GraphIndex index, long opset)
    {
        _index = index;
        _opset = opset;
        var graph = index.Graph;
        foreach (var init in graph.Initializer)
            _shapes[init.Name] = TensorShape.Of(init.Dims.ToArray());
        foreach (var value in graph.Input)
        {
            if (value.Type?.TensorType?.Shape is not null && !_shapes.ContainsKey(value.Name))
                _shapes[value.Name] = NameUnnamed(value.Name, OnnxModel.ToTensorInfo(value).Shape);
        }
        foreach (var value in graph.ValueInfo)
        {
            if (value.Type?.TensorType?.Shape is not null && !_shapes.ContainsKey(value.Name))
                _shapes[value.Name] = OnnxModel.ToTensorInfo(value).Shape;
        }
        foreach (var node in graph.Node)
        {
            try
            {
                Infer(node);
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or ArithmeticException)
            {
                // Leave the outputs unknown (a stride of 0, say, in a damaged file); a rule that needs them reports it.
            }
        }
    }

    public TensorShape? this[string tensor] => _shapes.GetValueOrDefault(tensor);

    /// <summary>Records the shape of a tensor added after inference ran (a derived node's output of a known shape).</summary>
    public void Assume(string tensor, TensorShape? shape)
    {
        if (shape is not null)
            _shapes[tensor] = shape;
    }

    /// <summary>An int64 tensor's values when every one is known: a constant, or computed from static sizes (Shape → Gather → Div…).</summary>
    public long[]? KnownInts(string tensor)
    {
        if (_index.Int64s(tensor) is { } constant)
            return constant;
        return _values.TryGetValue(tensor, out var value) && Enumerable.Range(0, value.Length).All(value.Known) ? value.Values : null;
    }

    /// <summary>
    /// A graph input's free dimension without a name still names one size: give it one, so tensors
    /// computed from it the same way share it (and rules can tell that two sizes are equal).
    /// </summary>
    private static TensorShape NameUnnamed(string input, TensorShape shape) =>
        new(shape.Dimensions, Enumerable.Range(0, shape.Rank).Select(i => shape[i] == TensorShape.Dynamic ? shape.SymbolAt(i) ?? $"{input}:{i}" : null));

    private void Set(NodeProto node, int output, TensorShape? shape)
    {
        if (shape is not null && output < node.Output.Count && node.Output[output].Length > 0)
            _shapes[node.Output[output]] = shape;
    }

    private TensorShape? In(NodeProto node, int i) => i < node.Input.Count && node.Input[i].Length > 0 ? _shapes.GetValueOrDefault(node.Input[i]) : null;

    private void Infer(NodeProto node)
    {
        var x = In(node, 0);
        PropagateValue(node, x);
        switch (node.OpType)
        {
            case "ConvTranspose":
                Set(node, 0, ConvTransposeShape(node, x, In(node, 1)));
                break;
            case "Resize":
                Set(node, 0, ResizeShape(node, x));
                break;
            case "Upsample":
                // Opset 7–9 (the layer listing reads the file as it is): scales as an attribute, then as input 1.
                var upsampleScales = node.Attribute.FirstOrDefault(a => a.Name == "scales")?.Floats.ToArray()
                                     ?? (node.Input.Count > 1 ? _index.Floats(node.Input[1]) : null);
                if (x is not null && upsampleScales is not null && upsampleScales.Length == x.Rank)
                    Set(node, 0, new TensorShape(Enumerable.Range(0, x.Rank).Select(i => x[i] < 0 ? TensorShape.Dynamic : (long)Math.Floor(x[i] * (double)upsampleScales[i])),
                        Enumerable.Range(0, x.Rank).Select(i => upsampleScales[i] == 1f ? x.SymbolAt(i) : null)));
                break;
            case "DepthToSpace" or "SpaceToDepth":
                if (x is { Rank: 4 })
                {
                    long block = Attr.Int(node, "blocksize", 1), b2 = block * block;
                    bool toSpace = node.OpType == "DepthToSpace";
                    long Scale(long d, bool up) => d < 0 ? TensorShape.Dynamic : up ? d * block : d / block;
                    Set(node, 0, new TensorShape(
                        [x[0], x[1] < 0 ? TensorShape.Dynamic : toSpace ? x[1] / b2 : x[1] * b2, Scale(x[2], toSpace), Scale(x[3], toSpace)],
                        [x.SymbolAt(0), null, null, null]));
                }
                break;
            case "GatherElements":
                Set(node, 0, In(node, 1));
                break;
            case "Tile":
                if (x is not null && Value(node, 1) is { } repeats && repeats.Length == x.Rank)
                    Set(node, 0, new TensorShape(Enumerable.Range(0, x.Rank).Select(i => x[i] >= 0 && repeats.Known(i) ? x[i] * repeats.Values[i] : TensorShape.Dynamic),
                        Enumerable.Range(0, x.Rank).Select(i => repeats.Known(i) && repeats.Values[i] == 1 ? x.SymbolAt(i) : null)));
                else if (x is not null)
                    Set(node, 0, new TensorShape(Enumerable.Repeat(TensorShape.Dynamic, x.Rank)));
                break;
            case "Round" or "GroupNormalization" or "Softsign" or "ThresholdedRelu" or "Celu" or "Sin" or "Cos":
                Set(node, 0, x);
                break;
            case "Relu" or "LeakyRelu" or "Sigmoid" or "Tanh" or "Erf" or "Sqrt" or "Exp" or "Log" or "Neg" or "Abs" or "Clip"
                or "HardSigmoid" or "HardSwish" or "Gelu" or "Softmax" or "LogSoftmax" or "Identity" or "Dropout" or "Cast"
                or "BatchNormalization" or "LayerNormalization" or "Not" or "Floor" or "Ceil" or "Reciprocal" or "Sign"
                or "Elu" or "Selu" or "Softplus" or "Mish" or "InstanceNormalization" or "LRN":
                Set(node, 0, x);
                break;
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "PRelu" or "Equal" or "Greater" or "Less" or "GreaterOrEqual"
                or "LessOrEqual" or "And" or "Or" or "Xor" or "Where" or "Max" or "Min" or "Sum" or "Mean":
                Set(node, 0, Broadcast(node.Input.Where(i => i.Length > 0).Select(i => _shapes.GetValueOrDefault(i))));
                break;
            case "Conv":
                Set(node, 0, ConvLike(node, x, In(node, 1) is { Rank: > 0 } w ? w[0] : TensorShape.Dynamic, In(node, 1)));
                break;
            case "MaxPool" or "AveragePool" or "LpPool":
                var pooled = ConvLike(node, x, x is { Rank: > 1 } ? x[1] : TensorShape.Dynamic, null);
                Set(node, 0, pooled);
                Set(node, 1, pooled);
                break;
            case "GlobalAveragePool" or "GlobalMaxPool":
                if (x is not null)
                    Set(node, 0, new TensorShape(Enumerable.Range(0, x.Rank).Select(i => i < 2 ? x[i] : 1L), Enumerable.Range(0, x.Rank).Select(i => i < 2 ? x.SymbolAt(i) : null)));
                break;
            case "Flatten":
                if (x is not null)
                {
                    int axis = Axis(Attr.Int(node, "axis", 1), x.Rank);
                    Set(node, 0, new TensorShape([Product(x, 0, axis), Product(x, axis, x.Rank)],
                        [axis == 1 ? x.SymbolAt(0) : null, null]));
                }
                break;
            case "Reshape":
                Set(node, 0, Reshape(x, Value(node, 1), Attr.Int(node, "allowzero", 0) != 0)
                             ?? (In(node, 1) is { Rank: 1 } spec && spec[0] >= 0 ? new TensorShape(Enumerable.Repeat(TensorShape.Dynamic, (int)spec[0])) : null));
                break;
            case "Transpose":
                if (x is not null)
                {
                    var perm = Attr.Ints(node, "perm") ?? Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i).ToArray();
                    Set(node, 0, new TensorShape(perm.Select(p => x[(int)p]), perm.Select(p => x.SymbolAt((int)p))));
                }
                break;
            case "MatMul":
                Set(node, 0, MatMul(x, In(node, 1)));
                break;
            case "Gemm":
                if (x is { Rank: 2 } && In(node, 1) is { Rank: 2 } b)
                {
                    bool ta = Attr.Int(node, "transA", 0) != 0, tb = Attr.Int(node, "transB", 0) != 0;
                    Set(node, 0, new TensorShape([ta ? x[1] : x[0], tb ? b[0] : b[1]], [ta ? x.SymbolAt(1) : x.SymbolAt(0), tb ? b.SymbolAt(0) : b.SymbolAt(1)]));
                }
                break;
            case "Concat":
                Set(node, 0, Concat(node));
                break;
            case "Split":
                Split(node, x);
                break;
            case "Slice":
                Set(node, 0, Slice(node, x));
                break;
            case "Gather":
                if (x is not null && In(node, 1) is { } indices)
                {
                    int axis = Axis(Attr.Int(node, "axis", 0), x.Rank);
                    var dims = Enumerable.Range(0, axis).Select(i => (x[i], x.SymbolAt(i)))
                        .Concat(Enumerable.Range(0, indices.Rank).Select(i => (indices[i], indices.SymbolAt(i))))
                        .Concat(Enumerable.Range(axis + 1, x.Rank - axis - 1).Select(i => (x[i], x.SymbolAt(i)))).ToList();
                    Set(node, 0, new TensorShape(dims.Select(d => d.Item1), dims.Select(d => d.Item2)));
                }
                break;
            case "Squeeze" or "Unsqueeze":
                Set(node, 0, SqueezeLike(node, x));
                break;
            case "ReduceSum" or "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL2" or "ReduceSumSquare":
                Set(node, 0, Reduce(node, x));
                break;
            case "Shape":
                if (x is not null)
                    Set(node, 0, TensorShape.Of(x.Rank));
                break;
            case "Size":
                Set(node, 0, TensorShape.Of());
                break;
            case "ConstantOfShape":
                var target = Value(node, 0);
                if (target is not null)
                    Set(node, 0, target.AsShape());
                else if (x is { Rank: 1 } && x[0] >= 0)
                    Set(node, 0, new TensorShape(Enumerable.Repeat(TensorShape.Dynamic, (int)x[0])));
                break;
            case "Constant":
                if (_index.Constant(node.Output[0]) is { } constant)
                    Set(node, 0, TensorShape.Of(constant.Dims.ToArray()));
                break;
            case "Expand":
                var shape = Value(node, 1);
                if (shape is not null)
                    Set(node, 0, Broadcast([x, shape.AsShape()]));
                else if (x is not null && In(node, 1) is { Rank: 1 } expandSpec && expandSpec[0] >= 0)
                    Set(node, 0, new TensorShape(Enumerable.Repeat(TensorShape.Dynamic, (int)Math.Max(expandSpec[0], x.Rank))));
                break;
            case "Pad":
                var pads = node.Input.Count > 1 && node.Input[1].Length > 0 ? _index.Int64s(node.Input[1]) : Attr.Ints(node, "pads");
                if (x is not null && pads is not null && pads.Length == 2 * x.Rank)
                    Set(node, 0, new TensorShape(Enumerable.Range(0, x.Rank).Select(i => x[i] < 0 ? TensorShape.Dynamic : x[i] + pads[i] + pads[i + x.Rank]),
                        Enumerable.Range(0, x.Rank).Select(i => pads[i] == 0 && pads[i + x.Rank] == 0 ? x.SymbolAt(i) : null)));
                break;
        }
    }

    /// <summary>The values of an int64 input, from a constant or from propagation; null when unknown.</summary>
    private ShapeValue? Value(NodeProto node, int input)
    {
        if (input >= node.Input.Count || node.Input[input].Length == 0)
            return null;
        string name = node.Input[input];
        if (_values.TryGetValue(name, out var value))
            return value;
        return _index.Int64s(name) is { Length: <= ShapeValue.MaxLength } constant ? ShapeValue.Of(constant) : null;
    }

    private void PropagateValue(NodeProto node, TensorShape? x)
    {
        if (node.Output.Count == 0 || node.Output[0].Length == 0)
            return;
        ShapeValue? result = null;
        switch (node.OpType)
        {
            case "Shape":
                if (x is not null)
                {
                    long start = Attr.Int(node, "start", 0), end = Attr.Int(node, "end", x.Rank);
                    int from = (int)Math.Clamp(start < 0 ? start + x.Rank : start, 0, x.Rank);
                    int to = (int)Math.Clamp(end < 0 ? end + x.Rank : end, 0, x.Rank);
                    result = ShapeValue.FromShape(x, from, Math.Max(from, to));
                }
                break;
            case "Identity" or "Cast" or "Squeeze" or "Unsqueeze":
                result = Value(node, 0);
                break;
            case "Gather" when Value(node, 0) is { } data && _index.Int64s(node.Input[1]) is { } indices && Attr.Int(node, "axis", 0) == 0:
                result = data.Gather(indices);
                break;
            case "Concat" when Attr.Int(node, "axis", 0) is 0 or -1:
                var parts = node.Input.Where(i => i.Length > 0).Select(i => _values.GetValueOrDefault(i) ?? (_index.Int64s(i) is { } c ? ShapeValue.Of(c) : null)).ToList();
                if (parts.All(p => p is not null))
                    result = ShapeValue.Concat(parts!);
                break;
            case "Slice" when Value(node, 0) is { } sliced && _index.Int64s(node.Input[1]) is [var start0] && _index.Int64s(node.Input[2]) is [var end0]:
                var sliceSteps = node.Input.Count > 4 && node.Input[4].Length > 0 ? _index.Int64s(node.Input[4]) : [1];
                if (sliceSteps is [1] && SliceRange(start0, end0, 1, sliced.Length) is { } range)
                    result = sliced.Range((int)range.Start, (int)range.Count);
                break;
            case "Add" or "Sub" or "Mul" or "Div" when Value(node, 0) is { } left && Value(node, 1) is { } right:
                result = ShapeValue.Arithmetic(node.OpType, left, right);
                break;
        }
        if (result is not null)
            _values[node.Output[0]] = result;
    }

    private static int Axis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);

    private static long Product(TensorShape s, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++)
        {
            if (s[i] < 0)
                return TensorShape.Dynamic;
            p *= s[i];
        }
        return p;
    }

    public static TensorShape? Broadcast(IEnumerable<TensorShape?> shapes)
    {
        var list = shapes.ToList();
        if (list.Any(s => s is null))
            return null;
        int rank = list.Max(s => s!.Rank);
        var dims = new long[rank];
        var symbols = new string?[rank];
        for (int i = 0; i < rank; i++)
        {
            long dim = 1;
            string? symbol = null;
            foreach (var s in list)
            {
                int j = i - (rank - s!.Rank);
                if (j < 0)
                    continue;
                long d = s[j];
                if (d == 1)
                    continue;
                if (d == TensorShape.Dynamic)
                {
                    if (dim == 1 || dim == TensorShape.Dynamic)
                    {
                        symbol = dim == 1 ? s.SymbolAt(j) : symbol == s.SymbolAt(j) ? symbol : null;
                        dim = TensorShape.Dynamic;
                    }
                    continue;
                }
                dim = dim is 1 or TensorShape.Dynamic ? d : dim;
                symbol = null;
            }
            dims[i] = dim;
            symbols[i] = dim == TensorShape.Dynamic ? symbol : null;
        }
        return new TensorShape(dims, symbols);
    }

    private static TensorShape? ConvLike(NodeProto node, TensorShape? x, long channels, TensorShape? weights)
    {
        if (x is null || x.Rank < 3)
            return null;
        int spatial = x.Rank - 2;
        var kernel = Attr.Ints(node, "kernel_shape") ?? (weights is { } w && w.Rank == x.Rank ? Enumerable.Range(2, spatial).Select(i => w[i]).ToArray() : null);
        if (kernel is null)
            return null;
        var strides = Attr.Ints(node, "strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = Attr.Ints(node, "dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var pads = Attr.Ints(node, "pads") ?? new long[2 * spatial];
        string autoPad = Attr.String(node, "auto_pad", "NOTSET");
        bool ceil = Attr.Int(node, "ceil_mode", 0) != 0;
        var dims = new List<long> { x[0], channels };
        var symbols = new List<string?> { x.SymbolAt(0), null };
        for (int i = 0; i < spatial; i++)
        {
            long input = x[i + 2];
            long effective = dilations[i] * (kernel[i] - 1) + 1;
            if (input < 0)
            {
                dims.Add(TensorShape.Dynamic);
                symbols.Add(SlidingSymbol(x.SymbolAt(i + 2), autoPad, ceil, pads[i] + pads[i + spatial], effective, strides[i]));
                continue;
            }
            symbols.Add(null);
            long output = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => (input + strides[i] - 1) / strides[i],
                "VALID" => (input - effective) / strides[i] + 1,
                _ => ceil
                    ? (long)Math.Ceiling((double)(input + pads[i] + pads[i + spatial] - effective) / strides[i]) + 1
                    : (input + pads[i] + pads[i + spatial] - effective) / strides[i] + 1,
            };
            // ceil_mode: the last window must start inside the input or left padding (ONNX and PyTorch agree).
            if (ceil && autoPad == "NOTSET" && (output - 1) * strides[i] >= input + pads[i])
                output--;
            dims.Add(output);
        }
        return new TensorShape(dims, symbols);
    }

    /// <summary>
    /// The size a sliding window leaves of a free dimension, as a canonical expression of its name:
    /// two tensors computed from one input by windows that keep the same arithmetic (a 3×3 stride-2
    /// convolution with pad 1 and a 1×1 stride-2 one, say) get the same name, so a residual sum of
    /// them is known not to broadcast.
    /// </summary>
    private static string? SlidingSymbol(string? input, string autoPad, bool ceil, long padding, long effective, long stride)
    {
        if (input is null)
            return null;
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            return stride == 1 ? input : $"ceil({input}/{stride})";
        long shift = autoPad == "VALID" ? -effective : padding - effective;
        if (stride == 1 && !ceil)
            return shift + 1 == 0 ? input : $"({input}{shift + 1:+0;-0})";
        return $"{(ceil ? "ceil" : "floor")}(({input}{shift:+0;-0;+0})/{stride})+1";
    }

    private static TensorShape? ConvTransposeShape(NodeProto node, TensorShape? x, TensorShape? w)
    {
        if (x is null || x.Rank < 3 || w is null || w.Rank != x.Rank)
            return null;
        int spatial = x.Rank - 2;
        long group = Attr.Int(node, "group", 1);
        var kernel = Attr.Ints(node, "kernel_shape") ?? Enumerable.Range(2, spatial).Select(i => w[i]).ToArray();
        var strides = Attr.Ints(node, "strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = Attr.Ints(node, "dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var pads = Attr.Ints(node, "pads") ?? new long[2 * spatial];
        var outputPadding = Attr.Ints(node, "output_padding") ?? new long[spatial];
        var outputShape = Attr.Ints(node, "output_shape");
        string autoPad = Attr.String(node, "auto_pad", "NOTSET");
        var dims = new List<long> { x[0], w[1] < 0 ? TensorShape.Dynamic : w[1] * group };
        for (int i = 0; i < spatial; i++)
        {
            long input = x[i + 2];
            long effective = dilations[i] * (kernel[i] - 1) + 1;
            dims.Add(outputShape is not null ? outputShape[outputShape.Length - spatial + i]
                : input < 0 ? TensorShape.Dynamic
                : autoPad is "SAME_UPPER" or "SAME_LOWER" ? input * strides[i]
                : strides[i] * (input - 1) + outputPadding[i] + effective - pads[i] - pads[i + spatial]);
        }
        return new TensorShape(dims, dims.Select((_, i) => i == 0 ? x.SymbolAt(0) : null));
    }

    private TensorShape? ResizeShape(NodeProto node, TensorShape? x)
    {
        if (x is null)
            return null;
        var sizes = Value(node, 3);
        var scales = node.Input.Count > 2 && node.Input[2].Length > 0 ? _index.Floats(node.Input[2]) : null;
        var axes = Attr.Ints(node, "axes")?.Select(a => (int)(a < 0 ? a + x.Rank : a)).ToArray() ?? Enumerable.Range(0, x.Rank).ToArray();
        var dims = x.Dimensions.ToArray();
        var symbols = Enumerable.Range(0, x.Rank).Select(x.SymbolAt).ToArray();
        for (int k = 0; k < axes.Length; k++)
        {
            int a = axes[k];
            if (sizes is not null && sizes.Length == axes.Length)
            {
                (dims[a], symbols[a]) = sizes.Known(k) ? (sizes.Values[k], null) : (TensorShape.Dynamic, sizes.Symbols[k]);
            }
            else if (scales is not null && scales.Length == axes.Length)
            {
                if (scales[k] != 1f)
                    (dims[a], symbols[a]) = (x[a] < 0 ? TensorShape.Dynamic : (long)Math.Floor(x[a] * (double)scales[k]), null);
            }
            else
            {
                (dims[a], symbols[a]) = (TensorShape.Dynamic, null);
            }
        }
        return new TensorShape(dims, symbols);
    }

    private static TensorShape? Reshape(TensorShape? x, ShapeValue? spec, bool allowZero)
    {
        if (spec is null)
            return null;
        var target = spec.Values;
        var dims = new long[target.Length];
        var symbols = new string?[target.Length];
        int inferred = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (!spec.Known(i))
            {
                dims[i] = TensorShape.Dynamic;
                symbols[i] = spec.Symbols[i];
            }
            else if (target[i] == 0 && !allowZero)
            {
                if (x is null || i >= x.Rank)
                    return new TensorShape(Enumerable.Repeat(TensorShape.Dynamic, target.Length));
                dims[i] = x[i];
                symbols[i] = x.SymbolAt(i);
            }
            else if (target[i] == -1)
            {
                inferred = i;
            }
            else
            {
                dims[i] = target[i];
            }
        }
        if (inferred >= 0)
        {
            dims[inferred] = TensorShape.Dynamic;
            if (x is not null)
            {
                long inKnown = 1, outKnown = 1;
                var unknown = new List<int>();
                for (int i = 0; i < x.Rank; i++)
                {
                    if (x[i] < 0)
                        unknown.Add(i);
                    else
                        inKnown *= x[i];
                }
                for (int i = 0; i < dims.Length; i++)
                {
                    if (i != inferred && dims[i] >= 0)
                        outKnown *= dims[i];
                }
                if (unknown.Count == 0 && outKnown > 0)
                    dims[inferred] = inKnown / outKnown;
                else if (unknown.Count == 1 && inKnown == outKnown && !dims.Where((d, i) => i != inferred).Any(d => d < 0))
                    symbols[inferred] = x.SymbolAt(unknown[0]);
            }
        }
        return new TensorShape(dims, symbols);
    }

    private static TensorShape? MatMul(TensorShape? a, TensorShape? b)
    {
        if (a is null || b is null || a.Rank == 0 || b.Rank == 0)
            return null;
        var a2 = a.Rank == 1 ? new TensorShape([1, a[0]], [null, a.SymbolAt(0)]) : a;
        var b2 = b.Rank == 1 ? new TensorShape([b[0], 1], [b.SymbolAt(0), null]) : b;
        var batchA = new TensorShape(a2.Dimensions.Take(a2.Rank - 2), Enumerable.Range(0, a2.Rank - 2).Select(a2.SymbolAt));
        var batchB = new TensorShape(b2.Dimensions.Take(b2.Rank - 2), Enumerable.Range(0, b2.Rank - 2).Select(b2.SymbolAt));
        var batch = Broadcast([batchA, batchB])!;
        var dims = batch.Dimensions.ToList();
        var symbols = Enumerable.Range(0, batch.Rank).Select(batch.SymbolAt).ToList();
        if (a.Rank > 1) { dims.Add(a2[a2.Rank - 2]); symbols.Add(a2.SymbolAt(a2.Rank - 2)); }
        if (b.Rank > 1) { dims.Add(b2[b2.Rank - 1]); symbols.Add(b2.SymbolAt(b2.Rank - 1)); }
        return new TensorShape(dims, symbols);
    }

    private TensorShape? Concat(NodeProto node)
    {
        var inputs = node.Input.Where(i => i.Length > 0).Select(i => _shapes.GetValueOrDefault(i)).ToList();
        if (inputs.Count == 0 || inputs.Any(s => s is null))
            return null;
        int rank = inputs[0]!.Rank;
        int axis = Axis(Attr.Int(node, "axis", 0), rank);
        var dims = new long[rank];
        var symbols = new string?[rank];
        for (int i = 0; i < rank; i++)
        {
            if (i == axis)
            {
                dims[i] = inputs.Any(s => s![i] < 0) ? TensorShape.Dynamic : inputs.Sum(s => s![i]);
                continue;
            }
            var known = inputs.FirstOrDefault(s => s![i] >= 0);
            dims[i] = known?[i] ?? TensorShape.Dynamic;
            symbols[i] = known is null ? inputs[0]!.SymbolAt(i) : null;
        }
        return new TensorShape(dims, symbols);
    }

    private void Split(NodeProto node, TensorShape? x)
    {
        if (x is null)
            return;
        int axis = Axis(Attr.Int(node, "axis", 0), x.Rank);
        var sizes = node.Input.Count > 1 && node.Input[1].Length > 0 ? _index.Int64s(node.Input[1]) : Attr.Ints(node, "split");
        if (sizes is null && x[axis] >= 0)
        {
            long n = node.Output.Count, each = (x[axis] + n - 1) / n;
            sizes = Enumerable.Range(0, (int)n).Select(i => Math.Min(each, x[axis] - i * each)).ToArray();
        }
        for (int o = 0; o < node.Output.Count; o++)
        {
            var dims = x.Dimensions.ToArray();
            dims[axis] = sizes is null ? TensorShape.Dynamic : sizes[o];
            Set(node, o, new TensorShape(dims, Enumerable.Range(0, x.Rank).Select(i => i == axis ? null : x.SymbolAt(i))));
        }
    }

    private TensorShape? Slice(NodeProto node, TensorShape? x)
    {
        if (x is null)
            return null;
        long[]? Ints(int i) => i < node.Input.Count && node.Input[i].Length > 0 ? KnownInts(node.Input[i]) : null;
        var starts = Ints(1);
        var ends = Ints(2);
        var axes = node.Input.Count > 3 && node.Input[3].Length > 0 ? Ints(3) : starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = node.Input.Count > 4 && node.Input[4].Length > 0 ? Ints(4) : starts is null ? null : Enumerable.Repeat(1L, starts.Length).ToArray();
        var dims = x.Dimensions.ToArray();
        var symbols = Enumerable.Range(0, x.Rank).Select(x.SymbolAt).ToArray();
        if (axes is null)
            return new TensorShape(Enumerable.Repeat(TensorShape.Dynamic, x.Rank));
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = Axis(axes[i], x.Rank);
            symbols[axis] = null;
            var range = starts is null || ends is null || steps is null ? null : SliceRange(starts[i], ends[i], steps[i], x[axis]);
            dims[axis] = range is null ? TensorShape.Dynamic : range.Value.Count;
        }
        return new TensorShape(dims, symbols);
    }

    /// <summary>Start and element count of a slice along a dimension of known size (ONNX clamping rules).</summary>
    public static (long Start, long Count)? SliceRange(long start, long end, long step, long dim)
    {
        if (dim < 0 || step == 0)
            return null;
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return (start, Math.Max(0, (end - start + step - 1) / step));
        }
        start = Math.Clamp(start, 0, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        return (start, Math.Max(0, (start - end + (-step) - 1) / (-step)));
    }

    private TensorShape? SqueezeLike(NodeProto node, TensorShape? x)
    {
        if (x is null)
            return null;
        var axes = _opset >= 13 && node.Input.Count > 1 && node.Input[1].Length > 0 ? _index.Int64s(node.Input[1]) : Attr.Ints(node, "axes");
        var dims = Enumerable.Range(0, x.Rank).Select(i => (Dim: x[i], Symbol: x.SymbolAt(i))).ToList();
        if (node.OpType == "Squeeze")
        {
            if (axes is null)
                return x.Dimensions.Any(d => d < 0) ? null : TensorShape.Of(x.Dimensions.Where(d => d != 1).ToArray());
            var remove = axes.Select(a => Axis(a, x.Rank)).ToHashSet();
            dims = dims.Where((_, i) => !remove.Contains(i)).ToList();
        }
        else
        {
            if (axes is null)
                return null;
            int rank = x.Rank + axes.Length;
            foreach (var a in axes.Select(a => Axis(a, rank)).Order())
                dims.Insert(a, (1, null));
        }
        return new TensorShape(dims.Select(d => d.Dim), dims.Select(d => d.Symbol));
    }

    private TensorShape? Reduce(NodeProto node, TensorShape? x)
    {
        if (x is null)
            return null;
        bool axesAsInput = node.OpType == "ReduceSum" ? _opset >= 13 : _opset >= 18;
        var axes = axesAsInput ? (node.Input.Count > 1 && node.Input[1].Length > 0 ? _index.Int64s(node.Input[1]) : []) : Attr.Ints(node, "axes") ?? [];
        if (axes is null)
            return null;
        bool keep = Attr.Int(node, "keepdims", 1) != 0;
        var reduced = axes.Length == 0 && Attr.Int(node, "noop_with_empty_axes", 0) == 0
            ? Enumerable.Range(0, x.Rank).ToHashSet()
            : axes.Select(a => Axis(a, x.Rank)).ToHashSet();
        var dims = new List<(long, string?)>();
        for (int i = 0; i < x.Rank; i++)
        {
            if (!reduced.Contains(i))
                dims.Add((x[i], x.SymbolAt(i)));
            else if (keep)
                dims.Add((1, null));
        }
        return new TensorShape(dims.Select(d => d.Item1), dims.Select(d => d.Item2));
    }
}

/// <summary>
/// A short int64 vector from a shape computation, element by element known (a value) or not
/// (possibly with the symbolic name of the size it holds).
/// </summary>
internal sealed class ShapeValue
{
    public const int MaxLength = 16;

    private ShapeValue(long[] values, bool[] known, string?[] symbols)
    {
        Values = values;
        KnownMask = known;
        Symbols = symbols;
    }

    public long[] Values { get; }

    private bool[] KnownMask { get; }

    public string?[] Symbols { get; }

    public int Length => Values.Length;

    public bool Known(int i) => KnownMask[i];

    public static ShapeValue Of(long[] values) => new(values, Enumerable.Repeat(true, values.Length).ToArray(), new string?[values.Length]);

    public static ShapeValue FromShape(TensorShape shape, int from, int to) =>
        new(Enumerable.Range(from, to - from).Select(i => shape[i]).ToArray(),
            Enumerable.Range(from, to - from).Select(i => shape[i] >= 0).ToArray(),
            Enumerable.Range(from, to - from).Select(shape.SymbolAt).ToArray());

    public ShapeValue? Gather(long[] indices)
    {
        var picked = indices.Select(i => i < 0 ? i + Length : i).ToArray();
        if (picked.Any(i => i < 0 || i >= Length))
            return null;
        return new(picked.Select(i => Values[i]).ToArray(), picked.Select(i => KnownMask[i]).ToArray(), picked.Select(i => Symbols[i]).ToArray());
    }

    public ShapeValue Range(int start, int count) =>
        new(Values.Skip(start).Take(count).ToArray(), KnownMask.Skip(start).Take(count).ToArray(), Symbols.Skip(start).Take(count).ToArray());

    public static ShapeValue? Concat(IReadOnlyList<ShapeValue> parts) =>
        parts.Sum(p => p.Length) > MaxLength ? null
            : new(parts.SelectMany(p => p.Values).ToArray(), parts.SelectMany(p => p.KnownMask).ToArray(), parts.SelectMany(p => p.Symbols).ToArray());

    public static ShapeValue? Arithmetic(string op, ShapeValue a, ShapeValue b)
    {
        int n = Math.Max(a.Length, b.Length);
        if ((a.Length != n && a.Length != 1) || (b.Length != n && b.Length != 1))
            return null;
        var values = new long[n];
        var known = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int ia = a.Length == 1 ? 0 : i, ib = b.Length == 1 ? 0 : i;
            if (!a.KnownMask[ia] || !b.KnownMask[ib] || (op == "Div" && b.Values[ib] == 0))
                continue;
            known[i] = true;
            values[i] = op switch
            {
                "Add" => a.Values[ia] + b.Values[ib],
                "Sub" => a.Values[ia] - b.Values[ib],
                "Mul" => a.Values[ia] * b.Values[ib],
                _ => (long)Math.Floor((double)a.Values[ia] / b.Values[ib]),
            };
        }
        return new(values, known, new string?[n]);
    }

    /// <summary>As the shape it describes (ConstantOfShape, Expand): unknown elements become free dimensions.</summary>
    public TensorShape AsShape() => new(Values.Select((v, i) => KnownMask[i] ? v : TensorShape.Dynamic), Symbols.Select((s, i) => KnownMask[i] ? null : s));
}

/// <summary>Attribute lookups with defaults.</summary>
internal static class Attr
{
    public static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    public static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.ToArray() : null;

    public static string String(NodeProto node, string name, string fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : fallback;
}
