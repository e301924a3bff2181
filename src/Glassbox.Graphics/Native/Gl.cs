using System.Runtime.InteropServices;
using System.Text;

namespace Glassbox.Graphics.Native;

/// <summary>
/// The OpenGL 4.3 core functions Glassbox calls, loaded through a getProcAddress (GLFW's or a host
/// engine's). One instance per context; call only on the thread where that context is current.
/// </summary>
internal sealed unsafe class Gl
{
    public const uint Vendor = 0x1F00, Renderer = 0x1F01, Version = 0x1F02, ShadingLanguageVersion = 0x8B8C;
    public const uint MajorVersion = 0x821B, MinorVersion = 0x821C, ContextProfileMask = 0x9126;
    public const int ContextCoreProfileBit = 0x1;
    public const uint ComputeShader = 0x91B9, VertexShader = 0x8B31, FragmentShader = 0x8B30;
    public const uint CompileStatus = 0x8B81, LinkStatus = 0x8B82, InfoLogLength = 0x8B84;
    public const uint ShaderStorageBuffer = 0x90D2;
    public const uint DynamicCopy = 0x88EA;
    public const uint ShaderStorageBarrierBit = 0x2000, BufferUpdateBarrierBit = 0x200;
    public const uint DebugOutput = 0x92E0, DebugOutputSynchronous = 0x8242;
    public const uint DebugTypeError = 0x824C, DebugSeverityHigh = 0x9146, DebugSeverityNotification = 0x826B;
    public const uint Texture2D = 0x0DE1, Rgba8 = 0x8058, R8 = 0x8229, Rgba = 0x1908, Red = 0x1903, UnsignedByte = 0x1401;
    public const uint TextureMinFilter = 0x2801, TextureMagFilter = 0x2800, Nearest = 0x2600, TextureWrapS = 0x2802, TextureWrapT = 0x2803, ClampToEdge = 0x812F;
    public const uint UnpackAlignment = 0x0CF5, PackAlignment = 0x0D05, PixelUnpackBuffer = 0x88EC;
    public const uint Framebuffer = 0x8D40, ColorAttachment0 = 0x8CE0, FramebufferComplete = 0x8CD5;
    public const uint ColorBufferBit = 0x4000, Blend = 0x0BE2, SrcAlpha = 0x0302, OneMinusSrcAlpha = 0x0303, Zero = 0, One = 1;
    public const uint R32ui = 0x8236, RedInteger = 0x8D94, UnsignedInt = 0x1405;
    public const uint TriangleStrip = 0x0005, Texture0 = 0x84C0, TextureFetchBarrierBit = 0x8, TextureUpdateBarrierBit = 0x100, PixelBufferBarrierBit = 0x80;
    public const uint NoError = 0;
    public const uint ReadFramebuffer = 0x8CA8, DrawFramebuffer = 0x8CA9, Linear = 0x2601;

    // State queried and restored around an embedded render (see GlStateGuard).
    public const uint DrawFramebufferBinding = 0x8CA6, ReadFramebufferBinding = 0x8CAA, ViewportState = 0x0BA2, CurrentProgram = 0x8B8D;
    public const uint VertexArrayBinding = 0x85B5, ActiveTextureState = 0x84E0, TextureBinding2D = 0x8069, ColorClearValue = 0x0C22;
    public const uint BlendSrcRgb = 0x80C9, BlendDstRgb = 0x80C8, BlendSrcAlpha = 0x80CB, BlendDstAlpha = 0x80CA;
    public const uint PixelUnpackBufferBinding = 0x88EF, ShaderStorageBufferBinding = 0x90D3, ShaderStorageBufferStart = 0x90D4, ShaderStorageBufferSize = 0x90D5;
    public const uint ScissorTest = 0x0C11, DepthTest = 0x0B71, StencilTest = 0x0B90, CullFace = 0x0B44, FramebufferSrgb = 0x8DB9, ColorWritemask = 0x0C23;
    public const uint TextureWidth = 0x1000, TextureHeight = 0x1001, TextureInternalFormat = 0x1003;

    public readonly delegate* unmanaged<uint, byte*> GetString;
    public readonly delegate* unmanaged<uint, int*, void> GetIntegerv;
    public readonly delegate* unmanaged<uint> GetError;
    public readonly delegate* unmanaged<void> Finish;
    public readonly delegate* unmanaged<uint, void> Enable;
    public readonly delegate* unmanaged<uint, uint> CreateShader;
    public readonly delegate* unmanaged<uint, int, byte**, int*, void> ShaderSource;
    public readonly delegate* unmanaged<uint, void> CompileShader;
    public readonly delegate* unmanaged<uint, uint, int*, void> GetShaderiv;
    public readonly delegate* unmanaged<uint, int, int*, byte*, void> GetShaderInfoLog;
    public readonly delegate* unmanaged<uint, void> DeleteShader;
    public readonly delegate* unmanaged<uint> CreateProgram;
    public readonly delegate* unmanaged<uint, uint, void> AttachShader;
    public readonly delegate* unmanaged<uint, void> LinkProgram;
    public readonly delegate* unmanaged<uint, uint, int*, void> GetProgramiv;
    public readonly delegate* unmanaged<uint, int, int*, byte*, void> GetProgramInfoLog;
    public readonly delegate* unmanaged<uint, void> DeleteProgram;
    public readonly delegate* unmanaged<uint, void> UseProgram;
    public readonly delegate* unmanaged<uint, byte*, int> GetUniformLocation;
    public readonly delegate* unmanaged<int, int, void> Uniform1i;
    public readonly delegate* unmanaged<int, uint, void> Uniform1ui;
    public readonly delegate* unmanaged<int, float, void> Uniform1f;
    public readonly delegate* unmanaged<int, int, float*, void> Uniform4fv;
    public readonly delegate* unmanaged<int, uint*, void> GenBuffers;
    public readonly delegate* unmanaged<int, uint*, void> DeleteBuffers;
    public readonly delegate* unmanaged<uint, uint, void> BindBuffer;
    public readonly delegate* unmanaged<uint, nint, void*, uint, void> BufferData;
    public readonly delegate* unmanaged<uint, nint, nint, void*, void> BufferSubData;
    public readonly delegate* unmanaged<uint, nint, nint, void*, void> GetBufferSubData;
    public readonly delegate* unmanaged<uint, uint, uint, void> BindBufferBase;
    public readonly delegate* unmanaged<uint, uint, uint, void> DispatchCompute;
    public readonly delegate* unmanaged<uint, void> MemoryBarrier;
    public readonly delegate* unmanaged<delegate* unmanaged<uint, uint, uint, uint, int, byte*, void*, void>, void*, void> DebugMessageCallback;
    public readonly delegate* unmanaged<int, uint*, void> GenTextures;
    public readonly delegate* unmanaged<int, uint*, void> DeleteTextures;
    public readonly delegate* unmanaged<uint, uint, void> BindTexture;
    public readonly delegate* unmanaged<uint, int, uint, int, int, void> TexStorage2D;
    public readonly delegate* unmanaged<uint, int, int, int, int, int, uint, uint, void*, void> TexSubImage2D;
    public readonly delegate* unmanaged<uint, uint, int, void> TexParameteri;
    public readonly delegate* unmanaged<uint, int, void> PixelStorei;
    public readonly delegate* unmanaged<uint, void> ActiveTexture;
    public readonly delegate* unmanaged<int, uint*, void> GenFramebuffers;
    public readonly delegate* unmanaged<int, uint*, void> DeleteFramebuffers;
    public readonly delegate* unmanaged<uint, uint, void> BindFramebuffer;
    public readonly delegate* unmanaged<int, int, int, int, int, int, int, int, uint, uint, void> BlitFramebuffer;
    public readonly delegate* unmanaged<uint, uint, uint, uint, int, void> FramebufferTexture2D;
    public readonly delegate* unmanaged<uint, uint> CheckFramebufferStatus;
    public readonly delegate* unmanaged<int, int, int, int, void> Viewport;
    public readonly delegate* unmanaged<float, float, float, float, void> ClearColor;
    public readonly delegate* unmanaged<uint, void> Clear;
    public readonly delegate* unmanaged<int, int, int, int, uint, uint, void*, void> ReadPixels;
    public readonly delegate* unmanaged<int, uint*, void> GenVertexArrays;
    public readonly delegate* unmanaged<int, uint*, void> DeleteVertexArrays;
    public readonly delegate* unmanaged<uint, void> BindVertexArray;
    public readonly delegate* unmanaged<uint, int, int, void> DrawArrays;
    public readonly delegate* unmanaged<uint, void> Disable;
    public readonly delegate* unmanaged<uint, uint, uint, uint, void> BlendFuncSeparate;
    public readonly delegate* unmanaged<int, int, int, int, int, void> Uniform4i;
    public readonly delegate* unmanaged<int, int, int, void> Uniform2i;
    public readonly delegate* unmanaged<int, float, float, float, float, void> Uniform4f;
    public readonly delegate* unmanaged<uint, uint, nint, nint, uint, uint, void*, void> ClearBufferSubData;
    public readonly delegate* unmanaged<uint, int, int, int, void> DrawArraysInstanced;
    public readonly delegate* unmanaged<uint, byte> IsEnabled;
    public readonly delegate* unmanaged<uint, byte> IsTexture;
    public readonly delegate* unmanaged<uint, float*, void> GetFloatv;
    public readonly delegate* unmanaged<uint, uint, int*, void> GetIntegeri_v;
    public readonly delegate* unmanaged<uint, uint, long*, void> GetInteger64i_v;
    public readonly delegate* unmanaged<uint, int, uint, int*, void> GetTexLevelParameteriv;
    public readonly delegate* unmanaged<byte, byte, byte, byte, void> ColorMask;
    public readonly delegate* unmanaged<uint, uint, uint, nint, nint, void> BindBufferRange;

    public Gl(Func<string, IntPtr> getProcAddress)
    {
        var missing = new List<string>();
        IntPtr F(string name)
        {
            var p = getProcAddress(name);
            if (p == IntPtr.Zero)
                missing.Add(name);
            return p;
        }

        GetString = (delegate* unmanaged<uint, byte*>)F("glGetString");
        GetIntegerv = (delegate* unmanaged<uint, int*, void>)F("glGetIntegerv");
        GetError = (delegate* unmanaged<uint>)F("glGetError");
        Finish = (delegate* unmanaged<void>)F("glFinish");
        Enable = (delegate* unmanaged<uint, void>)F("glEnable");
        CreateShader = (delegate* unmanaged<uint, uint>)F("glCreateShader");
        ShaderSource = (delegate* unmanaged<uint, int, byte**, int*, void>)F("glShaderSource");
        CompileShader = (delegate* unmanaged<uint, void>)F("glCompileShader");
        GetShaderiv = (delegate* unmanaged<uint, uint, int*, void>)F("glGetShaderiv");
        GetShaderInfoLog = (delegate* unmanaged<uint, int, int*, byte*, void>)F("glGetShaderInfoLog");
        DeleteShader = (delegate* unmanaged<uint, void>)F("glDeleteShader");
        CreateProgram = (delegate* unmanaged<uint>)F("glCreateProgram");
        AttachShader = (delegate* unmanaged<uint, uint, void>)F("glAttachShader");
        LinkProgram = (delegate* unmanaged<uint, void>)F("glLinkProgram");
        GetProgramiv = (delegate* unmanaged<uint, uint, int*, void>)F("glGetProgramiv");
        GetProgramInfoLog = (delegate* unmanaged<uint, int, int*, byte*, void>)F("glGetProgramInfoLog");
        DeleteProgram = (delegate* unmanaged<uint, void>)F("glDeleteProgram");
        UseProgram = (delegate* unmanaged<uint, void>)F("glUseProgram");
        GetUniformLocation = (delegate* unmanaged<uint, byte*, int>)F("glGetUniformLocation");
        Uniform1i = (delegate* unmanaged<int, int, void>)F("glUniform1i");
        Uniform1ui = (delegate* unmanaged<int, uint, void>)F("glUniform1ui");
        Uniform1f = (delegate* unmanaged<int, float, void>)F("glUniform1f");
        Uniform4fv = (delegate* unmanaged<int, int, float*, void>)F("glUniform4fv");
        GenBuffers = (delegate* unmanaged<int, uint*, void>)F("glGenBuffers");
        DeleteBuffers = (delegate* unmanaged<int, uint*, void>)F("glDeleteBuffers");
        BindBuffer = (delegate* unmanaged<uint, uint, void>)F("glBindBuffer");
        BufferData = (delegate* unmanaged<uint, nint, void*, uint, void>)F("glBufferData");
        BufferSubData = (delegate* unmanaged<uint, nint, nint, void*, void>)F("glBufferSubData");
        GetBufferSubData = (delegate* unmanaged<uint, nint, nint, void*, void>)F("glGetBufferSubData");
        BindBufferBase = (delegate* unmanaged<uint, uint, uint, void>)F("glBindBufferBase");
        DispatchCompute = (delegate* unmanaged<uint, uint, uint, void>)F("glDispatchCompute");
        MemoryBarrier = (delegate* unmanaged<uint, void>)F("glMemoryBarrier");
        DebugMessageCallback = (delegate* unmanaged<delegate* unmanaged<uint, uint, uint, uint, int, byte*, void*, void>, void*, void>)F("glDebugMessageCallback");
        GenTextures = (delegate* unmanaged<int, uint*, void>)F("glGenTextures");
        DeleteTextures = (delegate* unmanaged<int, uint*, void>)F("glDeleteTextures");
        BindTexture = (delegate* unmanaged<uint, uint, void>)F("glBindTexture");
        TexStorage2D = (delegate* unmanaged<uint, int, uint, int, int, void>)F("glTexStorage2D");
        TexSubImage2D = (delegate* unmanaged<uint, int, int, int, int, int, uint, uint, void*, void>)F("glTexSubImage2D");
        TexParameteri = (delegate* unmanaged<uint, uint, int, void>)F("glTexParameteri");
        PixelStorei = (delegate* unmanaged<uint, int, void>)F("glPixelStorei");
        ActiveTexture = (delegate* unmanaged<uint, void>)F("glActiveTexture");
        GenFramebuffers = (delegate* unmanaged<int, uint*, void>)F("glGenFramebuffers");
        DeleteFramebuffers = (delegate* unmanaged<int, uint*, void>)F("glDeleteFramebuffers");
        BindFramebuffer = (delegate* unmanaged<uint, uint, void>)F("glBindFramebuffer");
        BlitFramebuffer = (delegate* unmanaged<int, int, int, int, int, int, int, int, uint, uint, void>)F("glBlitFramebuffer");
        FramebufferTexture2D = (delegate* unmanaged<uint, uint, uint, uint, int, void>)F("glFramebufferTexture2D");
        CheckFramebufferStatus = (delegate* unmanaged<uint, uint>)F("glCheckFramebufferStatus");
        Viewport = (delegate* unmanaged<int, int, int, int, void>)F("glViewport");
        ClearColor = (delegate* unmanaged<float, float, float, float, void>)F("glClearColor");
        Clear = (delegate* unmanaged<uint, void>)F("glClear");
        ReadPixels = (delegate* unmanaged<int, int, int, int, uint, uint, void*, void>)F("glReadPixels");
        GenVertexArrays = (delegate* unmanaged<int, uint*, void>)F("glGenVertexArrays");
        DeleteVertexArrays = (delegate* unmanaged<int, uint*, void>)F("glDeleteVertexArrays");
        BindVertexArray = (delegate* unmanaged<uint, void>)F("glBindVertexArray");
        DrawArrays = (delegate* unmanaged<uint, int, int, void>)F("glDrawArrays");
        Disable = (delegate* unmanaged<uint, void>)F("glDisable");
        BlendFuncSeparate = (delegate* unmanaged<uint, uint, uint, uint, void>)F("glBlendFuncSeparate");
        Uniform4i = (delegate* unmanaged<int, int, int, int, int, void>)F("glUniform4i");
        Uniform2i = (delegate* unmanaged<int, int, int, void>)F("glUniform2i");
        Uniform4f = (delegate* unmanaged<int, float, float, float, float, void>)F("glUniform4f");
        ClearBufferSubData = (delegate* unmanaged<uint, uint, nint, nint, uint, uint, void*, void>)F("glClearBufferSubData");
        DrawArraysInstanced = (delegate* unmanaged<uint, int, int, int, void>)F("glDrawArraysInstanced");
        IsEnabled = (delegate* unmanaged<uint, byte>)F("glIsEnabled");
        IsTexture = (delegate* unmanaged<uint, byte>)F("glIsTexture");
        GetFloatv = (delegate* unmanaged<uint, float*, void>)F("glGetFloatv");
        GetIntegeri_v = (delegate* unmanaged<uint, uint, int*, void>)F("glGetIntegeri_v");
        GetInteger64i_v = (delegate* unmanaged<uint, uint, long*, void>)F("glGetInteger64i_v");
        GetTexLevelParameteriv = (delegate* unmanaged<uint, int, uint, int*, void>)F("glGetTexLevelParameteriv");
        ColorMask = (delegate* unmanaged<byte, byte, byte, byte, void>)F("glColorMask");
        BindBufferRange = (delegate* unmanaged<uint, uint, uint, nint, nint, void>)F("glBindBufferRange");

        if (missing.Count > 0)
        {
            throw new GlassboxException(
                $"The OpenGL context lacks {string.Join(", ", missing)}. Glassbox needs OpenGL 4.3 core (compute shaders); update the GPU driver, or use Mesa (llvmpipe) which provides it.");
        }
    }

    public string GetText(uint name) => Marshal.PtrToStringUTF8((IntPtr)GetString(name)) ?? "";

    public int GetInteger(uint name)
    {
        int value;
        GetIntegerv(name, &value);
        return value;
    }

    public static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
