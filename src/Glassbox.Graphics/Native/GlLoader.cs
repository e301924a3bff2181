using System.Text;
using Silk.NET.OpenGL;

namespace Glassbox.Graphics.Native;

/// <summary>
/// Makes Silk.NET's <see cref="GL"/> from a getProcAddress (GLFW's or a host engine's), after checking in one
/// place that the context has every function Glassbox calls, so a driver that lacks one is named up front
/// rather than failing on first use deep inside a pass.
/// </summary>
internal static class GlLoader
{
    /// <summary>Every GL entry point Glassbox calls (OpenGL 4.3 core).</summary>
    private static readonly string[] RequiredFunctions =
    [
        "glGetString", "glGetIntegerv", "glGetError", "glFinish", "glEnable", "glDisable", "glIsEnabled",
        "glCreateShader", "glShaderSource", "glCompileShader", "glGetShaderiv", "glGetShaderInfoLog", "glDeleteShader",
        "glCreateProgram", "glAttachShader", "glLinkProgram", "glGetProgramiv", "glGetProgramInfoLog", "glDeleteProgram",
        "glUseProgram", "glGetUniformLocation", "glUniform1i", "glUniform1ui", "glUniform1f", "glUniform2i", "glUniform4i",
        "glUniform4f", "glUniform4fv", "glGenBuffers", "glDeleteBuffers", "glBindBuffer", "glBufferData", "glBufferSubData",
        "glGetBufferSubData", "glBindBufferBase", "glBindBufferRange", "glClearBufferSubData", "glDispatchCompute",
        "glMemoryBarrier", "glDebugMessageCallback", "glGenTextures", "glDeleteTextures", "glBindTexture", "glIsTexture",
        "glTexStorage2D", "glTexSubImage2D", "glTexParameteri", "glPixelStorei", "glActiveTexture", "glGetTexLevelParameteriv",
        "glGenFramebuffers", "glDeleteFramebuffers", "glBindFramebuffer", "glBlitFramebuffer", "glFramebufferTexture2D",
        "glCheckFramebufferStatus", "glViewport", "glClearColor", "glClear", "glReadPixels", "glGenVertexArrays",
        "glDeleteVertexArrays", "glBindVertexArray", "glDrawArrays", "glDrawArraysInstanced", "glBlendFuncSeparate",
        "glGetFloatv", "glGetIntegeri_v", "glGetInteger64i_v", "glColorMask",
    ];

    public static GL Load(Func<string, IntPtr> getProcAddress)
    {
        var missing = RequiredFunctions.Where(name => getProcAddress(name) == IntPtr.Zero).ToList();
        if (missing.Count > 0)
        {
            throw new GlassboxException(
                $"The OpenGL context lacks {string.Join(", ", missing)}. Glassbox needs OpenGL 4.3 core (compute shaders); update the GPU driver, or use Mesa (llvmpipe) which provides it.");
        }
        return GL.GetApi(name => getProcAddress(name));
    }

    /// <summary>The version check that goes with <see cref="Load"/>: functions can be exported by a driver whose context is older.</summary>
    public static void RequireVersion(GL gl, string renderer)
    {
        int major = gl.GetInteger(GLEnum.MajorVersion), minor = gl.GetInteger(GLEnum.MinorVersion);
        if (major * 10 + minor < 43)
            throw new GlassboxException($"The OpenGL context is version {major}.{minor} ({renderer}); Glassbox needs 4.3 core for compute shaders. Update the driver, or use Mesa llvmpipe.");
    }

    public static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
