using System.Runtime.InteropServices;

namespace Glassbox.Graphics.Passes;

/// <summary>
/// GPU version of <see cref="PlanarPreprocess"/>: an RGBA8 frame to a planar float tensor, in a
/// storage buffer that later passes (or a read-back) use. Buffers grow to the largest frame seen
/// and are reused. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed class PlanarPreprocessPass : IDisposable
{
    private const int LocalSize = 8;
    private readonly GlContext _context;
    private readonly ShaderProgram _program;
    private StorageBuffer? _pixels;
    private StorageBuffer? _tensor;

    public PlanarPreprocessPass(GlContext context, ShaderLibrary shaders)
    {
        _context = context;
        _program = shaders.Compute(context, "preprocess_rgba_planar.comp",
            new Dictionary<string, string>
            {
                ["LOCAL_SIZE_X"] = LocalSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["LOCAL_SIZE_Y"] = LocalSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
    }

    /// <summary>The tensor written by the last <see cref="Run"/>: Channels × height × width floats.</summary>
    public StorageBuffer Output => _tensor ?? throw new InvalidOperationException("Run the pass before reading its output.");

    /// <summary>Uploads the frame and converts it on the GPU.</summary>
    public void Run(ReadOnlySpan<byte> rgba, int width, int height, int strideBytes, PlanarPreprocessOptions options)
    {
        options.Validate();
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Image size {width}×{height} is empty; both sides must be at least 1 pixel.");
        if (strideBytes % 4 != 0 || strideBytes < width * 4)
            throw new ArgumentException($"Stride {strideBytes} must be a multiple of 4 and at least {width * 4} bytes for {width} RGBA pixels.");
        long pixelBytes = (long)strideBytes * height;
        if (rgba.Length < pixelBytes - strideBytes + width * 4)
            throw new ArgumentException($"The pixel buffer holds {rgba.Length} bytes; {width}×{height} with stride {strideBytes} needs {pixelBytes - strideBytes + width * 4}.");

        long tensorBytes = (long)options.Channels * width * height * sizeof(float);
        _pixels = PassBuffers.Grow(_context, _pixels, pixelBytes);
        _tensor = PassBuffers.Grow(_context, _tensor, tensorBytes);
        // A last row shorter than the stride is padded by the upload size; the shader never reads past width.
        _pixels.Write(rgba[..(int)Math.Min(rgba.Length, pixelBytes)]);

        int c1 = options.Channels == 3 ? 1 : 0, c2 = options.Channels == 3 ? 2 : 0;
        _program.Use()
            .Set("u_width", (uint)width)
            .Set("u_height", (uint)height)
            .Set("u_stride_pixels", (uint)(strideBytes / 4))
            .Set("u_channels", (uint)options.Channels)
            .Set("u_mean", options.MeanAt(0), options.MeanAt(c1), options.MeanAt(c2), 0f)
            .Set("u_inv_std", options.InvStdAt(0), options.InvStdAt(c1), options.InvStdAt(c2), 0f)
            .Bind(0, _pixels)
            .Bind(1, _tensor)
            .Dispatch((uint)((width + LocalSize - 1) / LocalSize), (uint)((height + LocalSize - 1) / LocalSize));
    }

    /// <summary>Runs the pass and reads the tensor back into <paramref name="destination"/>.</summary>
    public void Run(ReadOnlySpan<byte> rgba, int width, int height, int strideBytes, PlanarPreprocessOptions options, Span<float> destination)
    {
        Run(rgba, width, height, strideBytes, options);
        int count = options.Channels * width * height;
        if (destination.Length < count)
            throw new ArgumentException($"The destination holds {destination.Length} floats; the tensor has {count}.");
        Output.Read(destination[..count]);
    }

    public void Dispose()
    {
        _program.Dispose();
        _pixels?.Dispose();
        _tensor?.Dispose();
    }
}
