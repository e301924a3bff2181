namespace Glassbox;

/// <summary>Element type of a tensor, as ONNX names it.</summary>
public enum TensorElementType
{
    Unknown = 0,
    Float32,
    UInt8,
    Int8,
    UInt16,
    Int16,
    Int32,
    Int64,
    String,
    Bool,
    Float16,
    Float64,
    UInt32,
    UInt64,
    BFloat16,
}

public static class TensorElementTypeExtensions
{
    // ONNX TensorProto.DataType codes; ONNX Runtime uses the same numbers.
    private static readonly (int Code, TensorElementType Type)[] OnnxCodes =
    [
        (1, TensorElementType.Float32), (2, TensorElementType.UInt8), (3, TensorElementType.Int8),
        (4, TensorElementType.UInt16), (5, TensorElementType.Int16), (6, TensorElementType.Int32),
        (7, TensorElementType.Int64), (8, TensorElementType.String), (9, TensorElementType.Bool),
        (10, TensorElementType.Float16), (11, TensorElementType.Float64), (12, TensorElementType.UInt32),
        (13, TensorElementType.UInt64), (16, TensorElementType.BFloat16),
    ];

    /// <summary>The element type for an ONNX TensorProto.DataType code; Unknown for codes without one.</summary>
    public static TensorElementType FromOnnxDataType(int code)
    {
        foreach (var (c, t) in OnnxCodes)
        {
            if (c == code)
                return t;
        }
        return TensorElementType.Unknown;
    }

    /// <summary>The ONNX TensorProto.DataType code; 0 (UNDEFINED) for Unknown.</summary>
    public static int ToOnnxDataType(this TensorElementType type)
    {
        foreach (var (c, t) in OnnxCodes)
        {
            if (t == type)
                return c;
        }
        return 0;
    }

    /// <summary>Bytes per element, or 0 where the size is not fixed (strings, unknown).</summary>
    public static int SizeInBytes(this TensorElementType type) => type switch
    {
        TensorElementType.Float32 or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 1,
        TensorElementType.UInt16 or TensorElementType.Int16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Float64 => 8,
        _ => 0,
    };

    /// <summary>The lower-case ONNX spelling, for messages and listings.</summary>
    public static string OnnxName(this TensorElementType type) => type switch
    {
        TensorElementType.Float32 => "float32",
        TensorElementType.Float64 => "float64",
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Unknown => "unknown",
        _ => type.ToString().ToLowerInvariant(),
    };
}
