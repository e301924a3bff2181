using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>Pixel format of a <see cref="Texture"/>.</summary>
public enum TextureFormat
{
    /// <summary>RGBA, 8 bits a channel; uploads and reads as uints packed R-in-the-low-byte.</summary>
    Rgba8,
    /// <summary>One 8-bit channel (font coverage, masks).</summary>
    R8,
}

/// <summary>
/// A 2D texture of fixed size, nearest filtering, edges clamped. Texel row 0 holds image row 0
/// (the top), so shaders address it with image coordinates. Owned by one <see cref="GlContext"/>.
/// </summary>
public sealed unsafe class Texture : IDisposable
{
    private readonly GlContext _context;
    private readonly bool _owned = true;
    private uint _id;

    // A texture someone else made (a host engine's): used, never deleted.
    private Texture(GlContext context, uint id, int width, int height)
    {
        _context = context;
        _id = id;
        _owned = false;
        Width = width;
        Height = height;
        Format = TextureFormat.Rgba8;
    }

    /// <summary>
    /// Wraps an RGBA8 texture a host engine owns, after checking it is one of that size; Glassbox
    /// never deletes it. The texture binding of the active unit is left as it was.
    /// </summary>
    internal static Texture Wrap(GlContext context, uint id, int width, int height)
    {
        context.CheckThread();
        var gl = context.Gl;
        if (id == 0 || !gl.IsTexture(id))
            throw new GlassboxException($"{id} is not a texture of this OpenGL context; pass the name (id) of an RGBA8 texture the engine created.");
        int previous = gl.GetInteger(GLEnum.TextureBinding2D);
        gl.BindTexture(GLEnum.Texture2D, id);
        int w, h, format;
        gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureWidth, &w);
        gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureHeight, &h);
        gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureInternalFormat, &format);
        gl.BindTexture(GLEnum.Texture2D, (uint)previous);
        if (w != width || h != height || format != (int)GLEnum.Rgba8)
            throw new GlassboxException($"Texture {id} is {w}×{h} with internal format 0x{format:X}; Glassbox renders into a {width}×{height} RGBA8 (0x{(int)GLEnum.Rgba8:X}) 2D texture. Create it with glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, {width}, {height}).");
        return new Texture(context, id, width, height);
    }

    public Texture(GlContext context, int width, int height, TextureFormat format = TextureFormat.Rgba8)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Texture size {width}×{height} is empty.");
        context.CheckThread();
        _context = context;
        Width = width;
        Height = height;
        Format = format;
        var gl = context.Gl;
        uint id;
        gl.GenTextures(1, &id);
        _id = id;
        gl.BindTexture(GLEnum.Texture2D, id);
        gl.TexStorage2D(GLEnum.Texture2D, 1, format == TextureFormat.Rgba8 ? GLEnum.Rgba8 : GLEnum.R8, (uint)width, (uint)height);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMinFilter, (int)GLEnum.Nearest);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMagFilter, (int)GLEnum.Nearest);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapS, (int)GLEnum.ClampToEdge);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapT, (int)GLEnum.ClampToEdge);
        gl.BindTexture(GLEnum.Texture2D, 0);
    }

    public int Width { get; }
    public int Height { get; }
    public TextureFormat Format { get; }

    internal uint Id => _id;

    /// <summary>Uploads RGBA8 pixels (Width × Height, row 0 at the top).</summary>
    public void Upload(ReadOnlySpan<uint> pixels)
    {
        Check(TextureFormat.Rgba8, pixels.Length);
        fixed (uint* p = pixels)
            SubImage(p);
    }

    /// <summary>Uploads 8-bit values (Width × Height, row 0 at the top).</summary>
    public void Upload(ReadOnlySpan<byte> values)
    {
        Check(TextureFormat.R8, values.Length);
        fixed (byte* p = values)
            SubImage(p);
    }

    /// <summary>Copies RGBA8 pixels that a compute pass left in a storage buffer, without a trip through the CPU.</summary>
    public void CopyFrom(StorageBuffer pixels)
    {
        Check(TextureFormat.Rgba8, (int)Math.Min(int.MaxValue, pixels.SizeInBytes / 4));
        var gl = _context.Gl;
        gl.MemoryBarrier(MemoryBarrierMask.PixelBufferBarrierBit | MemoryBarrierMask.TextureUpdateBarrierBit);
        gl.BindBuffer(GLEnum.PixelUnpackBuffer, pixels.Id);
        SubImage(null);
        gl.BindBuffer(GLEnum.PixelUnpackBuffer, 0);
    }

    public void Dispose()
    {
        if (_id == 0)
            return;
        _context.CheckThread();
        uint id = _id;
        if (_owned)
            _context.Gl.DeleteTextures(1, &id);
        _id = 0;
    }

    private void SubImage(void* data)
    {
        var gl = _context.Gl;
        gl.PixelStore(GLEnum.UnpackAlignment, 1);
        gl.BindTexture(GLEnum.Texture2D, _id);
        gl.TexSubImage2D(GLEnum.Texture2D, 0, 0, 0, (uint)Width, (uint)Height, Format == TextureFormat.Rgba8 ? GLEnum.Rgba : GLEnum.Red, GLEnum.UnsignedByte, data);
        gl.BindTexture(GLEnum.Texture2D, 0);
    }

    private void Check(TextureFormat format, int count)
    {
        ObjectDisposedException.ThrowIf(_id == 0, this);
        _context.CheckThread();
        if (Format != format)
            throw new InvalidOperationException($"This texture is {Format}; upload {Format} data.");
        if (count < Width * Height)
            throw new ArgumentException($"{count} values for a {Width}×{Height} texture.");
    }
}

/// <summary>An offscreen render target of fixed size with one RGBA8 colour texture.</summary>
public sealed unsafe class Framebuffer : IDisposable
{
    private readonly GlContext _context;
    private uint _id;

    public Framebuffer(GlContext context, int width, int height)
        : this(context, new Texture(context, width, height))
    {
    }

    /// <summary>Renders into <paramref name="color"/> (disposed with the framebuffer; a wrapped host texture is only let go).</summary>
    internal Framebuffer(GlContext context, Texture color)
    {
        context.CheckThread();
        _context = context;
        Color = color;
        int width = color.Width, height = color.Height;
        var gl = context.Gl;
        uint id;
        gl.GenFramebuffers(1, &id);
        _id = id;
        gl.BindFramebuffer(GLEnum.Framebuffer, id);
        gl.FramebufferTexture2D(GLEnum.Framebuffer, GLEnum.ColorAttachment0, GLEnum.Texture2D, Color.Id, 0);
        var status = gl.CheckFramebufferStatus(GLEnum.Framebuffer);
        gl.BindFramebuffer(GLEnum.Framebuffer, 0);
        if (status != GLEnum.FramebufferComplete)
        {
            Dispose();
            throw new GlassboxException($"The driver cannot render into a {width}×{height} RGBA8 framebuffer (status 0x{status:X}).");
        }
    }

    public Texture Color { get; }
    public int Width => Color.Width;
    public int Height => Color.Height;

    internal uint Id => _id;

    internal void Bind()
    {
        ObjectDisposedException.ThrowIf(_id == 0, this);
        _context.Gl.BindFramebuffer(GLEnum.Framebuffer, _id);
        _context.Gl.Viewport(0, 0, (uint)Width, (uint)Height);
    }

    /// <summary>Reads the pixels back, row 0 at the top (GL's bottom-up rows are flipped here, at the GL boundary).</summary>
    public RgbaImage Read()
    {
        _context.CheckThread();
        var image = new RgbaImage(Width, Height);
        var gl = _context.Gl;
        Bind();
        gl.PixelStore(GLEnum.PackAlignment, 1);
        fixed (uint* p = image.Pixels)
            gl.ReadPixels(0, 0, (uint)Width, (uint)Height, GLEnum.Rgba, GLEnum.UnsignedByte, p);
        gl.BindFramebuffer(GLEnum.Framebuffer, 0);
        var row = new uint[Width];
        for (int y = 0; y < Height / 2; y++)
        {
            var top = image.Pixels.AsSpan(y * Width, Width);
            var bottom = image.Pixels.AsSpan((Height - 1 - y) * Width, Width);
            top.CopyTo(row);
            bottom.CopyTo(top);
            row.CopyTo(bottom);
        }
        return image;
    }

    public void Dispose()
    {
        if (_id != 0)
        {
            _context.CheckThread();
            uint id = _id;
            _context.Gl.DeleteFramebuffers(1, &id);
            _id = 0;
        }
        Color.Dispose();
    }
}
