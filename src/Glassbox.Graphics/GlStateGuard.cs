using Glassbox.Graphics.Native;

namespace Glassbox.Graphics;

/// <summary>
/// The OpenGL state Glassbox's passes change, read before an embedded render and put back after it, so a
/// host engine finds its context as it left it. Also sets what Glassbox's drawing assumes (no scissor, depth,
/// stencil or face culling, linear colour writes to all channels) for the duration. The list is
/// <see cref="GlEmbedding.RestoredState"/>; state outside it is never touched.
/// </summary>
internal readonly unsafe struct GlStateGuard
{
    private static readonly uint[] Switches = [Gl.Blend, Gl.ScissorTest, Gl.DepthTest, Gl.StencilTest, Gl.CullFace, Gl.FramebufferSrgb];

    private readonly Gl _gl;
    private readonly int _drawFramebuffer, _readFramebuffer, _program, _vertexArray, _activeTexture, _unpackBuffer, _storageBuffer;
    private readonly int _unpackAlignment, _packAlignment, _blendSrcRgb, _blendDstRgb, _blendSrcAlpha, _blendDstAlpha;
    private readonly int _textureUnit0, _textureActiveUnit, _switchesOn;
    // Fixed-size values: saving and restoring state allocates nothing, frame after frame.
    private readonly Four<int> _viewport, _colorMask;
    private readonly Four<float> _clearColor;
    private readonly StorageBindings<int> _storageBuffers;
    private readonly StorageBindings<long> _storageStarts, _storageSizes;

    /// <summary>Indexed storage-buffer binding points Glassbox binds: 0 for the draw list, 0 to 4 for the overlay pass.</summary>
    internal const int StorageBindingCount = 5;

    [System.Runtime.CompilerServices.InlineArray(4)]
    private struct Four<T>
    {
        private T _element;
    }

    [System.Runtime.CompilerServices.InlineArray(StorageBindingCount)]
    private struct StorageBindings<T>
    {
        private T _element;
    }

    private GlStateGuard(Gl gl)
    {
        _gl = gl;
        _drawFramebuffer = gl.GetInteger(Gl.DrawFramebufferBinding);
        _readFramebuffer = gl.GetInteger(Gl.ReadFramebufferBinding);
        _program = gl.GetInteger(Gl.CurrentProgram);
        _vertexArray = gl.GetInteger(Gl.VertexArrayBinding);
        _activeTexture = gl.GetInteger(Gl.ActiveTextureState);
        _unpackBuffer = gl.GetInteger(Gl.PixelUnpackBufferBinding);
        _storageBuffer = gl.GetInteger(Gl.ShaderStorageBufferBinding);
        _unpackAlignment = gl.GetInteger(Gl.UnpackAlignment);
        _packAlignment = gl.GetInteger(Gl.PackAlignment);
        _blendSrcRgb = gl.GetInteger(Gl.BlendSrcRgb);
        _blendDstRgb = gl.GetInteger(Gl.BlendDstRgb);
        _blendSrcAlpha = gl.GetInteger(Gl.BlendSrcAlpha);
        _blendDstAlpha = gl.GetInteger(Gl.BlendDstAlpha);
        StorageBindings<int> buffers = default;
        StorageBindings<long> starts = default, sizes = default;
        for (int i = 0; i < StorageBindingCount; i++)
        {
            int binding;
            long start, size;
            gl.GetIntegeri_v(Gl.ShaderStorageBufferBinding, (uint)i, &binding);
            gl.GetInteger64i_v(Gl.ShaderStorageBufferStart, (uint)i, &start);
            gl.GetInteger64i_v(Gl.ShaderStorageBufferSize, (uint)i, &size);
            (buffers[i], starts[i], sizes[i]) = (binding, start, size);
        }
        (_storageBuffers, _storageStarts, _storageSizes) = (buffers, starts, sizes);
        Four<int> viewport = default, colorMask = default;
        Four<float> clearColor = default;
        gl.GetIntegerv(Gl.ViewportState, (int*)&viewport);
        gl.GetIntegerv(Gl.ColorWritemask, (int*)&colorMask);
        gl.GetFloatv(Gl.ColorClearValue, (float*)&clearColor);
        (_viewport, _colorMask, _clearColor) = (viewport, colorMask, clearColor);
        for (int i = 0; i < Switches.Length; i++)
            _switchesOn |= gl.IsEnabled(Switches[i]) != 0 ? 1 << i : 0;
        // Glassbox draws on unit 0 and uploads on whichever unit is active: both bindings are kept.
        _textureActiveUnit = gl.GetInteger(Gl.TextureBinding2D);
        gl.ActiveTexture(Gl.Texture0);
        _textureUnit0 = gl.GetInteger(Gl.TextureBinding2D);
        gl.ActiveTexture((uint)_activeTexture);
    }

    /// <summary>Reads the state, then sets what Glassbox's drawing assumes.</summary>
    public static GlStateGuard Enter(Gl gl)
    {
        var saved = new GlStateGuard(gl);
        foreach (var s in Switches)
            gl.Disable(s);
        gl.ColorMask(1, 1, 1, 1);
        gl.BindBuffer(Gl.PixelUnpackBuffer, 0);
        return saved;
    }

    /// <summary>Puts every saved value back.</summary>
    public void Exit()
    {
        var gl = _gl;
        gl.BindFramebuffer(Gl.DrawFramebuffer, (uint)_drawFramebuffer);
        gl.BindFramebuffer(Gl.ReadFramebuffer, (uint)_readFramebuffer);
        gl.UseProgram((uint)_program);
        gl.BindVertexArray((uint)_vertexArray);
        gl.ActiveTexture(Gl.Texture0);
        gl.BindTexture(Gl.Texture2D, (uint)_textureUnit0);
        gl.ActiveTexture((uint)_activeTexture);
        gl.BindTexture(Gl.Texture2D, (uint)_textureActiveUnit);
        gl.BindBuffer(Gl.PixelUnpackBuffer, (uint)_unpackBuffer);
        for (int i = 0; i < StorageBindingCount; i++)
        {
            if (_storageSizes[i] > 0)
                gl.BindBufferRange(Gl.ShaderStorageBuffer, (uint)i, (uint)_storageBuffers[i], (nint)_storageStarts[i], (nint)_storageSizes[i]);
            else
                gl.BindBufferBase(Gl.ShaderStorageBuffer, (uint)i, (uint)_storageBuffers[i]);
        }
        // Binding an indexed target also sets the generic one, so the generic binding goes back last.
        gl.BindBuffer(Gl.ShaderStorageBuffer, (uint)_storageBuffer);
        gl.PixelStorei(Gl.UnpackAlignment, _unpackAlignment);
        gl.PixelStorei(Gl.PackAlignment, _packAlignment);
        gl.BlendFuncSeparate((uint)_blendSrcRgb, (uint)_blendDstRgb, (uint)_blendSrcAlpha, (uint)_blendDstAlpha);
        gl.Viewport(_viewport[0], _viewport[1], _viewport[2], _viewport[3]);
        gl.ColorMask((byte)_colorMask[0], (byte)_colorMask[1], (byte)_colorMask[2], (byte)_colorMask[3]);
        gl.ClearColor(_clearColor[0], _clearColor[1], _clearColor[2], _clearColor[3]);
        for (int i = 0; i < Switches.Length; i++)
        {
            if ((_switchesOn & (1 << i)) != 0)
                gl.Enable(Switches[i]);
            else
                gl.Disable(Switches[i]);
        }
    }
}
