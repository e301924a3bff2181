using System.Collections.Immutable;
using System.Text;

namespace Glassbox;

/// <summary>
/// The shape of a tensor. A dimension is either known (≥ 0) or dynamic (<see cref="Dynamic"/>),
/// in which case it may carry a symbolic name such as "batch".
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    /// <summary>The value of a dimension whose size is only known at run time.</summary>
    public const long Dynamic = -1;

    private readonly ImmutableArray<long> _dimensions;
    private readonly ImmutableArray<string?> _symbols;

    public TensorShape(IEnumerable<long> dimensions, IEnumerable<string?>? symbols = null)
    {
        _dimensions = dimensions.ToImmutableArray();
        foreach (var d in _dimensions)
        {
            if (d < Dynamic)
                throw new ArgumentException($"Dimension {d} is not valid: use a size ≥ 0, or TensorShape.Dynamic (-1) for a size known only at run time.", nameof(dimensions));
        }

        _symbols = symbols?.ToImmutableArray() ?? Enumerable.Repeat<string?>(null, _dimensions.Length).ToImmutableArray();
        if (_symbols.Length != _dimensions.Length)
            throw new ArgumentException($"{_symbols.Length} symbolic names were given for {_dimensions.Length} dimensions; give one per dimension (null where a dimension has none).", nameof(symbols));
    }

    public static TensorShape Of(params long[] dimensions) => new(dimensions);

    public int Rank => _dimensions.Length;

    public ImmutableArray<long> Dimensions => _dimensions;

    public long this[int axis] => _dimensions[axis];

    /// <summary>Symbolic name of a dynamic dimension, or null.</summary>
    public string? SymbolAt(int axis) => _symbols[axis];

    public bool IsFullyKnown => _dimensions.All(d => d != Dynamic);

    /// <summary>Number of elements; throws when a dimension is dynamic.</summary>
    public long ElementCount
    {
        get
        {
            if (!IsFullyKnown)
                throw new InvalidOperationException($"Shape {this} has dynamic dimensions; give concrete sizes before counting elements.");
            long count = 1;
            foreach (var d in _dimensions)
                count = checked(count * d);
            return count;
        }
    }

    /// <summary>This shape with every dynamic dimension replaced by the given sizes, in order.</summary>
    public TensorShape WithDynamicDimensions(IReadOnlyDictionary<string, long> symbolSizes, long fallback = Dynamic)
    {
        var dims = new long[Rank];
        for (int i = 0; i < Rank; i++)
        {
            dims[i] = _dimensions[i] != Dynamic ? _dimensions[i]
                : _symbols[i] is { } s && symbolSizes.TryGetValue(s, out var size) ? size
                : fallback;
        }
        return new TensorShape(dims, _symbols);
    }

    public long[] ToArray() => _dimensions.ToArray();

    /// <summary>Readable form: "1×3×224×224", dynamic dimensions by name or "?".</summary>
    public override string ToString()
    {
        if (Rank == 0)
            return "scalar";
        var sb = new StringBuilder();
        for (int i = 0; i < Rank; i++)
        {
            if (i > 0)
                sb.Append('×');
            sb.Append(_dimensions[i] == Dynamic ? _symbols[i] ?? "?" : _dimensions[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public bool Equals(TensorShape? other) =>
        other is not null && _dimensions.SequenceEqual(other._dimensions);

    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dimensions)
            hash.Add(d);
        return hash.ToHashCode();
    }
}
