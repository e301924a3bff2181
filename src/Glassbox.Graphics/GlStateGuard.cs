using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>
/// The OpenGL state Glassbox's passes change, read before an embedded render and put back after it, so a
/// host engine finds its context as it left it. Also sets what Glassbox's drawing assumes (no scissor, depth,
/// stencil or face culling, linear colour writes to all channels) for the duration. The list is
/// <see cref="GlEmbedding.RestoredState"/>; state outside it is never touched.
/// </summary>
internal readonly unsafe struct GlStateGuard
{
    private static readonly GLEnum[] Switches = [GLEnum.Blend, GLEnum.ScissorTest, GLEnum.DepthTest, GLEnum.StencilTest, GLEnum.CullFace, GLEnum.FramebufferSrgb];

    private readonly GL _gl;
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

    private GlStateGuard(GL gl)
    {
        _gl = gl;
        _drawFramebuffer = gl.GetInteger(GLEnum.DrawFramebufferBinding);
        _readFramebuffer = gl.GetInteger(GLEnum.ReadFramebufferBinding);
        _program = gl.GetInteger(GLEnum.CurrentProgram);
        _vertexArray = gl.GetInteger(GLEnum.VertexArrayBinding);
        _activeTexture = gl.GetInteger(GLEnum.ActiveTexture);
        _unpackBuffer = gl.GetInteger(GLEnum.PixelUnpackBufferBinding);
        _storageBuffer = gl.GetInteger(GLEnum.ShaderStorageBufferBinding);
        _unpackAlignment = gl.GetInteger(GLEnum.UnpackAlignment);
        _packAlignment = gl.GetInteger(GLEnum.PackAlignment);
        _blendSrcRgb = gl.GetInteger(GLEnum.BlendSrcRgb);
        _blendDstRgb = gl.GetInteger(GLEnum.BlendDstRgb);
        _blendSrcAlpha = gl.GetInteger(GLEnum.BlendSrcAlpha);
        _blendDstAlpha = gl.GetInteger(GLEnum.BlendDstAlpha);
        StorageBindings<int> buffers = default;
        StorageBindings<long> starts = default, sizes = default;
        for (int i = 0; i < StorageBindingCount; i++)
        {
            int binding;
            long start, size;
            gl.GetInteger(GLEnum.ShaderStorageBufferBinding, (uint)i, &binding);
            gl.GetInteger64(GLEnum.ShaderStorageBufferStart, (uint)i, &start);
            gl.GetInteger64(GLEnum.ShaderStorageBufferSize, (uint)i, &size);
            (buffers[i], starts[i], sizes[i]) = (binding, start, size);
        }
        (_storageBuffers, _storageStarts, _storageSizes) = (buffers, starts, sizes);
        Four<int> viewport = default, colorMask = default;
        Four<float> clearColor = default;
        gl.GetInteger(GLEnum.Viewport, (int*)&viewport);
        gl.GetInteger(GLEnum.ColorWritemask, (int*)&colorMask);
        gl.GetFloat(GLEnum.ColorClearValue, (float*)&clearColor);
        (_viewport, _colorMask, _clearColor) = (viewport, colorMask, clearColor);
        for (int i = 0; i < Switches.Length; i++)
            _switchesOn |= gl.IsEnabled(Switches[i]) ? 1 << i : 0;
        // Glassbox draws on unit 0 and uploads on whichever unit is active: both bindings are kept.
        _textureActiveUnit = gl.GetInteger(GLEnum.TextureBinding2D);
        gl.ActiveTexture(GLEnum.Texture0);
        _textureUnit0 = gl.GetInteger(GLEnum.TextureBinding2D);
        gl.ActiveTexture((GLEnum)_activeTexture);
    }

    /// <summary>Reads the state, then sets what Glassbox's drawing assumes.</summary>
    public static GlStateGuard Enter(GL gl)
    {
        var saved = new GlStateGuard(gl);
        foreach (var s in Switches)
            gl.Disable(s);
        gl.ColorMask(true, true, true, true);
        gl.BindBuffer(GLEnum.PixelUnpackBuffer, 0);
        return saved;
    }

    /// <summary>Puts every saved value back.</summary>
    public void Exit()
    {
        var gl = _gl;
        gl.BindFramebuffer(GLEnum.DrawFramebuffer, (uint)_drawFramebuffer);
        gl.BindFramebuffer(GLEnum.ReadFramebuffer, (uint)_readFramebuffer);
        gl.UseProgram((uint)_program);
        gl.BindVertexArray((uint)_vertexArray);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindTexture(GLEnum.Texture2D, (uint)_textureUnit0);
        gl.ActiveTexture((GLEnum)_activeTexture);
        gl.BindTexture(GLEnum.Texture2D, (uint)_textureActiveUnit);
        gl.BindBuffer(GLEnum.PixelUnpackBuffer, (uint)_unpackBuffer);
        for (int i = 0; i < StorageBindingCount; i++)
        {
            if (_storageSizes[i] > 0)
                gl.BindBufferRange(GLEnum.ShaderStorageBuffer, (uint)i, (uint)_storageBuffers[i], (nint)_storageStarts[i], (nuint)_storageSizes[i]);
            else
                gl.BindBufferBase(GLEnum.ShaderStorageBuffer, (uint)i, (uint)_storageBuffers[i]);
        }
        // Binding an indexed target also sets the generic one, so the generic binding goes back last.
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, (uint)_storageBuffer);
        gl.PixelStore(GLEnum.UnpackAlignment, _unpackAlignment);
        gl.PixelStore(GLEnum.PackAlignment, _packAlignment);
        gl.BlendFuncSeparate((GLEnum)_blendSrcRgb, (GLEnum)_blendDstRgb, (GLEnum)_blendSrcAlpha, (GLEnum)_blendDstAlpha);
        gl.Viewport(_viewport[0], _viewport[1], (uint)_viewport[2], (uint)_viewport[3]);
        gl.ColorMask(_colorMask[0] != 0, _colorMask[1] != 0, _colorMask[2] != 0, _colorMask[3] != 0);
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
