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
    public const uint DynamicCopy = 0x88EA, DynamicDraw = 0x88E8, StreamRead = 0x88E1;
    public const uint ShaderStorageBarrierBit = 0x2000, BufferUpdateBarrierBit = 0x200, AllBarrierBits = 0xFFFFFFFF;
    public const uint DebugOutput = 0x92E0, DebugOutputSynchronous = 0x8242;
    public const uint DebugTypeError = 0x824C, DebugSeverityHigh = 0x9146, DebugSeverityNotification = 0x826B;
    public const uint MaxComputeWorkGroupInvocations = 0x90EB;
    public const uint NoError = 0;

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
