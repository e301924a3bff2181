using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Glassbox.Inference;

/// <summary>
/// One prepared way of running a session: every input and output lives in a buffer allocated once
/// and bound to ONNX Runtime, so <see cref="Execute"/> in steady state allocates no managed memory.
/// Fill inputs, call Execute, read outputs. Not thread-safe: one thread at a time.
/// Dispose it before its <see cref="ModelSession"/>.
/// </summary>
public sealed class SessionRun : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;
    private readonly Dictionary<string, BoundTensor> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BoundTensor> _outputs = new(StringComparer.Ordinal);
    private bool _disposed;

    internal SessionRun(ModelSession owner, InferenceSession session, IReadOnlyList<string> outputNames, IReadOnlyDictionary<string, long> dimensions,
                        IReadOnlyDictionary<string, TensorShape> inputShapes)
    {
        _session = session;
        _runOptions = new RunOptions();
        _binding = session.CreateIoBinding();
        try
        {
            foreach (var input in owner.Inputs)
            {
                var shape = inputShapes.TryGetValue(input.Name, out var given) ? Agreeing(input, given) : input.Shape.WithDynamicDimensions(dimensions);
                if (!shape.IsFullyKnown)
                {
                    throw new GlassboxException(
                        $"Input '{input.Name}' has shape {input.Shape} with a dimension of unknown size. " +
                        $"Give its size when creating the run, e.g. dimensions: {{\"{FirstUnknownSymbol(input.Shape) ?? "batch"}\": 1}}.");
                }
                var bound = BoundTensor.Allocate(input with { Shape = shape });
                _inputs.Add(input.Name, bound);
                _binding.BindInput(input.Name, bound.Value);
            }

            var outputs = outputNames.Select(n => owner.Outputs.First(o => o.Name == n)).ToList();
            var resolved = outputs.Select(o => o with { Shape = o.Shape.WithDynamicDimensions(dimensions) }).ToList();
            if (resolved.Any(o => !o.Shape.IsFullyKnown))
                resolved = DiscoverOutputShapes(resolved);
            foreach (var output in resolved)
            {
                var bound = BoundTensor.Allocate(output);
                _outputs.Add(output.Name, bound);
                _binding.BindOutput(output.Name, bound.Value);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        InputInfos = _inputs.Values.Select(b => b.Info).ToImmutableArray();
        OutputInfos = _outputs.Values.Select(b => b.Info).ToImmutableArray();
    }

    /// <summary>Inputs with the concrete shapes of this run.</summary>
    public ImmutableArray<TensorInfo> InputInfos { get; }

    /// <summary>Outputs with the concrete shapes of this run.</summary>
    public ImmutableArray<TensorInfo> OutputInfos { get; }

    /// <summary>The buffer of an input, to fill before <see cref="Execute"/>. Valid until Dispose.</summary>
    public Span<T> Input<T>(string name) where T : unmanaged => Find(_inputs, name, "input").As<T>();

    /// <summary>The buffer of an output, written by <see cref="Execute"/>. Valid until Dispose.</summary>
    public ReadOnlySpan<T> Output<T>(string name) where T : unmanaged => Find(_outputs, name, "output").As<T>();

    /// <summary>Runs the model on the current inputs; outputs are overwritten in place.</summary>
    public void Execute()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _session.RunWithBinding(_runOptions, _binding);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _binding.Dispose();
        _runOptions.Dispose();
        foreach (var bound in _inputs.Values.Concat(_outputs.Values))
            bound.Dispose();
    }

    private BoundTensor Find(Dictionary<string, BoundTensor> tensors, string name, string kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tensors.TryGetValue(name, out var bound))
            return bound;
        throw new GlassboxException($"This run has no {kind} '{name}'. Its {kind}s are {string.Join(", ", tensors.Keys.Select(k => $"'{k}'"))}.");
    }

    // Some output shapes depend on values only known at run time; one run on zero inputs tells them.
    private List<TensorInfo> DiscoverOutputShapes(List<TensorInfo> outputs)
    {
        var names = _inputs.Keys.ToList();
        var values = _inputs.Values.Select(b => b.Value).ToList();
        using var results = _session.Run(_runOptions, names, values, outputs.Select(o => o.Name).ToList());
        return outputs.Zip(results, (info, value) =>
        {
            var shape = value.GetTensorTypeAndShape().Shape;
            return info with { Shape = new TensorShape(shape) };
        }).ToList();
    }

    private static TensorShape Agreeing(TensorInfo input, TensorShape given)
    {
        bool fits = given.Rank == input.Shape.Rank && given.IsFullyKnown
                    && Enumerable.Range(0, given.Rank).All(i => input.Shape[i] == TensorShape.Dynamic || input.Shape[i] == given[i]);
        return fits ? given : throw new GlassboxException($"Input '{input.Name}' has shape {input.Shape}; {given} does not fit it. Give every size, keeping the ones the model fixes.");
    }

    private static string? FirstUnknownSymbol(TensorShape shape) =>
        Enumerable.Range(0, shape.Rank).Where(i => shape[i] == TensorShape.Dynamic).Select(shape.SymbolAt).FirstOrDefault(s => s is not null);

    /// <summary>A pinned managed buffer and the OrtValue that views it.</summary>
    private sealed class BoundTensor : IDisposable
    {
        private readonly byte[] _buffer;
#if NETSTANDARD2_1
        private GCHandle _pin;
#endif

        private BoundTensor(TensorInfo info, byte[] buffer, OrtValue value)
        {
            Info = info;
            _buffer = buffer;
            Value = value;
        }

        public TensorInfo Info { get; }

        public OrtValue Value { get; }

        public static unsafe BoundTensor Allocate(TensorInfo info)
        {
            int elementSize = info.ElementType.SizeInBytes();
            if (elementSize == 0)
                throw new GlassboxException($"Tensor '{info.Name}' has element type {info.ElementType.OnnxName()}, which a pre-bound run cannot hold; use numeric tensors.");
            long bytes = checked(info.Shape.ElementCount * elementSize);
            if (bytes > Array.MaxLength)
                throw new GlassboxException($"Tensor '{info.Name}' of shape {info.Shape} needs {bytes} bytes, more than one buffer can hold.");
            // Pinned for its lifetime: ONNX Runtime keeps the address.
#if NETSTANDARD2_1
            // This profile has no pinned object heap: an ordinary array, held in place by a handle until disposed.
            var buffer = new byte[(int)bytes];
            var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, ModelSession.ToOrt(info.ElementType),
                info.Shape.ToArray(), pin.AddrOfPinnedObject(), bytes);
            return new BoundTensor(info, buffer, value) { _pin = pin };
#else
            var buffer = GC.AllocateArray<byte>((int)bytes, pinned: true);
            fixed (byte* p = buffer)
            {
                var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, ModelSession.ToOrt(info.ElementType),
                    info.Shape.ToArray(), (IntPtr)p, bytes);
                return new BoundTensor(info, buffer, value);
            }
#endif
        }

        public Span<T> As<T>() where T : unmanaged
        {
            if (!ElementTypeMatches<T>(Info.ElementType))
                throw new GlassboxException($"Tensor '{Info.Name}' holds {Info.ElementType.OnnxName()}, not {typeof(T).Name}; read it with the matching type.");
            return MemoryMarshal.Cast<byte, T>(_buffer.AsSpan());
        }

        public void Dispose()
        {
            Value.Dispose();
#if NETSTANDARD2_1
            if (_pin.IsAllocated)
                _pin.Free();
#endif
        }

        private static bool ElementTypeMatches<T>(TensorElementType type) => type switch
        {
            TensorElementType.Float32 => typeof(T) == typeof(float),
            TensorElementType.Float64 => typeof(T) == typeof(double),
#if !NETSTANDARD2_1
            TensorElementType.Float16 => typeof(T) == typeof(Half),
#endif
            TensorElementType.UInt8 => typeof(T) == typeof(byte),
            TensorElementType.Int8 => typeof(T) == typeof(sbyte),
            TensorElementType.Bool => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
            TensorElementType.Int16 => typeof(T) == typeof(short),
            TensorElementType.UInt16 => typeof(T) == typeof(ushort),
            TensorElementType.Int32 => typeof(T) == typeof(int),
            TensorElementType.UInt32 => typeof(T) == typeof(uint),
            TensorElementType.Int64 => typeof(T) == typeof(long),
            TensorElementType.UInt64 => typeof(T) == typeof(ulong),
            _ => false,
        };
    }
}
