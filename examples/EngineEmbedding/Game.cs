using System.Runtime.InteropServices;
using System.Text;

namespace Glassbox.Examples.EngineEmbedding;

/// <summary>
/// The "game engine" of this example: its own GLFW window, its own OpenGL function table and its own
/// drawing (a textured quad spinning in perspective). It knows nothing of Glassbox; Glassbox knows
/// only its getProcAddress and one of its textures. Everything here is what a real engine already has.
/// </summary>
internal sealed unsafe class Game : IDisposable
{
    private const int GlfwContextVersionMajor = 0x00022002, GlfwContextVersionMinor = 0x00022003, GlfwOpenGlProfile = 0x00022008;
    private const int GlfwOpenGlCoreProfile = 0x00032001, GlfwOpenGlForwardCompat = 0x00022006;
    private const uint ColorBufferBit = 0x4000, DepthBufferBit = 0x100, DepthTest = 0x0B71, Texture2D = 0x0DE1, Rgba8 = 0x8058;
    private const uint Linear = 0x2601, TextureMinFilter = 0x2801, TextureMagFilter = 0x2800, Triangles = 0x0004, Texture0 = 0x84C0;
    private const uint VertexShader = 0x8B31, FragmentShader = 0x8B30, CompileStatus = 0x8B81, LinkStatus = 0x8B82, Rgba = 0x1908, UnsignedByte = 0x1401;

    private readonly IntPtr _glfw, _window;
    // The per-frame GLFW calls, looked up once.
    private readonly delegate* unmanaged<IntPtr, int> _windowShouldClose;
    private readonly delegate* unmanaged<IntPtr, void> _swapBuffers;
    private readonly delegate* unmanaged<void> _pollEvents;
    private readonly delegate* unmanaged<byte*, IntPtr> _getProcAddress;
    private readonly uint _program, _vertexArray;
    private readonly int _angleLocation, _aspectLocation;
    private readonly GameGl _gl;

    public Game(int width, int height, string title)
    {
        _glfw = NativeLibrary.Load("libglfw.so.3");
        _windowShouldClose = (delegate* unmanaged<IntPtr, int>)Fn("glfwWindowShouldClose");
        _swapBuffers = (delegate* unmanaged<IntPtr, void>)Fn("glfwSwapBuffers");
        _pollEvents = (delegate* unmanaged<void>)Fn("glfwPollEvents");
        _getProcAddress = (delegate* unmanaged<byte*, IntPtr>)Fn("glfwGetProcAddress");
        if (((delegate* unmanaged<int>)Fn("glfwInit"))() == 0)
            throw new GlassboxException("GLFW could not start: no display? Run under xvfb-run -a.");
        var hint = (delegate* unmanaged<int, int, void>)Fn("glfwWindowHint");
        hint(GlfwContextVersionMajor, 4);
        hint(GlfwContextVersionMinor, 3);
        hint(GlfwOpenGlProfile, GlfwOpenGlCoreProfile);
        hint(GlfwOpenGlForwardCompat, 1);
        fixed (byte* t = Encoding.UTF8.GetBytes(title + "\0"))
            _window = ((delegate* unmanaged<int, int, byte*, IntPtr, IntPtr, IntPtr>)Fn("glfwCreateWindow"))(width, height, t, 0, 0);
        if (_window == 0)
            throw new GlassboxException("The game's window could not be created (OpenGL 4.3 core needed).");
        ((delegate* unmanaged<IntPtr, void>)Fn("glfwMakeContextCurrent"))(_window);
        Width = width;
        Height = height;
        _gl = new GameGl(GetProcAddress);
        _program = Link(Shader(VertexShader, VertexSource), Shader(FragmentShader, FragmentSource));
        fixed (byte* n = "u_angle\0"u8)
            _angleLocation = _gl.GetUniformLocation(_program, n);
        fixed (byte* n = "u_aspect\0"u8)
            _aspectLocation = _gl.GetUniformLocation(_program, n);
        uint vao;
        _gl.GenVertexArrays(1, &vao);
        _vertexArray = vao;
    }

    public int Width { get; }

    public int Height { get; }

    public bool ShouldClose => _windowShouldClose(_window) != 0;

    /// <summary>The context's function lookup, as an engine exposes it to plugins.</summary>
    public IntPtr GetProcAddress(string name)
    {
        fixed (byte* n = Encoding.ASCII.GetBytes(name + "\0"))
            return _getProcAddress(n);
    }

    /// <summary>A texture of the game's, RGBA8, immutable storage: what a material would sample.</summary>
    public uint CreateTexture(int width, int height)
    {
        uint id;
        _gl.GenTextures(1, &id);
        _gl.BindTexture(Texture2D, id);
        _gl.TexStorage2D(Texture2D, 1, Rgba8, width, height);
        _gl.TexParameteri(Texture2D, TextureMinFilter, (int)Linear);
        _gl.TexParameteri(Texture2D, TextureMagFilter, (int)Linear);
        _gl.BindTexture(Texture2D, 0);
        return id;
    }

    /// <summary>One frame of the game: clear to its sky colour, draw the quad with the texture at the angle.</summary>
    public void DrawQuad(uint texture, float angle)
    {
        _gl.Viewport(0, 0, Width, Height);
        _gl.ClearColor(0.13f, 0.19f, 0.25f, 1f);
        _gl.Enable(DepthTest);
        _gl.Clear(ColorBufferBit | DepthBufferBit);
        _gl.UseProgram(_program);
        _gl.Uniform1f(_angleLocation, angle);
        _gl.Uniform1f(_aspectLocation, (float)Width / Height);
        _gl.ActiveTexture(Texture0);
        _gl.BindTexture(Texture2D, texture);
        _gl.BindVertexArray(_vertexArray);
        _gl.DrawArrays(Triangles, 0, 6);
    }

    /// <summary>The frame just drawn, row 0 at the top, as RGBA8 (for a screenshot).</summary>
    public uint[] ReadFrame()
    {
        var pixels = new uint[Width * Height];
        fixed (uint* p = pixels)
            _gl.ReadPixels(0, 0, Width, Height, Rgba, UnsignedByte, p);
        var flipped = new uint[pixels.Length];
        for (int y = 0; y < Height; y++)
            Array.Copy(pixels, (Height - 1 - y) * Width, flipped, y * Width, Width);
        return flipped;
    }

    public void Present()
    {
        _swapBuffers(_window);
        _pollEvents();
    }

    public void Dispose()
    {
        ((delegate* unmanaged<IntPtr, void>)Fn("glfwDestroyWindow"))(_window);
        ((delegate* unmanaged<void>)Fn("glfwTerminate"))();
    }

    private IntPtr Fn(string name) => NativeLibrary.GetExport(_glfw, name);

    private uint Shader(uint kind, string source)
    {
        uint shader = _gl.CreateShader(kind);
        var bytes = Encoding.UTF8.GetBytes(source);
        fixed (byte* s = bytes)
        {
            int length = bytes.Length;
            _gl.ShaderSource(shader, 1, &s, &length);
        }
        _gl.CompileShader(shader);
        int ok;
        _gl.GetShaderiv(shader, CompileStatus, &ok);
        return ok != 0 ? shader : throw new GlassboxException("The game's quad shader did not compile.");
    }

    private uint Link(uint vertex, uint fragment)
    {
        uint program = _gl.CreateProgram();
        _gl.AttachShader(program, vertex);
        _gl.AttachShader(program, fragment);
        _gl.LinkProgram(program);
        int ok;
        _gl.GetProgramiv(program, LinkStatus, &ok);
        return ok != 0 ? program : throw new GlassboxException("The game's quad program did not link.");
    }

    // Two triangles from gl_VertexID, turned about the vertical axis and seen in perspective.
    private const string VertexSource = """
        #version 430 core
        uniform float u_angle;
        uniform float u_aspect;
        out vec2 v_uv;
        void main() {
            const vec2 corners[6] = vec2[](vec2(-1,-1), vec2(1,-1), vec2(1,1), vec2(-1,-1), vec2(1,1), vec2(-1,1));
            vec2 c = corners[gl_VertexID];
            v_uv = c * 0.5 + 0.5;
            vec3 p = vec3(c.x * cos(u_angle), c.y, c.x * sin(u_angle)) * 0.8;
            float z = p.z + 2.6;
            gl_Position = vec4(p.x * 2.4 / u_aspect, p.y * 2.4, z * 0.1, z);
        }
        """;

    private const string FragmentSource = """
        #version 430 core
        uniform sampler2D u_texture;
        in vec2 v_uv;
        out vec4 color;
        void main() { color = vec4(texture(u_texture, v_uv).rgb, 1.0); }
        """;

    /// <summary>The GL 4.3 calls the game makes, loaded through its own getProcAddress.</summary>
    private sealed class GameGl
    {
        public readonly delegate* unmanaged<uint, uint> CreateShader;
        public readonly delegate* unmanaged<uint, int, byte**, int*, void> ShaderSource;
        public readonly delegate* unmanaged<uint, void> CompileShader;
        public readonly delegate* unmanaged<uint, uint, int*, void> GetShaderiv;
        public readonly delegate* unmanaged<uint> CreateProgram;
        public readonly delegate* unmanaged<uint, uint, void> AttachShader;
        public readonly delegate* unmanaged<uint, void> LinkProgram;
        public readonly delegate* unmanaged<uint, uint, int*, void> GetProgramiv;
        public readonly delegate* unmanaged<uint, byte*, int> GetUniformLocation;
        public readonly delegate* unmanaged<uint, void> UseProgram;
        public readonly delegate* unmanaged<int, float, void> Uniform1f;
        public readonly delegate* unmanaged<int, uint*, void> GenVertexArrays;
        public readonly delegate* unmanaged<uint, void> BindVertexArray;
        public readonly delegate* unmanaged<int, uint*, void> GenTextures;
        public readonly delegate* unmanaged<uint, uint, void> BindTexture;
        public readonly delegate* unmanaged<uint, int, uint, int, int, void> TexStorage2D;
        public readonly delegate* unmanaged<uint, uint, int, void> TexParameteri;
        public readonly delegate* unmanaged<uint, void> ActiveTexture;
        public readonly delegate* unmanaged<int, int, int, int, void> Viewport;
        public readonly delegate* unmanaged<float, float, float, float, void> ClearColor;
        public readonly delegate* unmanaged<uint, void> Clear;
        public readonly delegate* unmanaged<uint, void> Enable;
        public readonly delegate* unmanaged<uint, int, int, void> DrawArrays;
        public readonly delegate* unmanaged<int, int, int, int, uint, uint, void*, void> ReadPixels;

        public GameGl(Func<string, IntPtr> load)
        {
            IntPtr F(string name) => load(name) is var p && p != 0 ? p : throw new GlassboxException($"The game's OpenGL context lacks {name}.");
            CreateShader = (delegate* unmanaged<uint, uint>)F("glCreateShader");
            ShaderSource = (delegate* unmanaged<uint, int, byte**, int*, void>)F("glShaderSource");
            CompileShader = (delegate* unmanaged<uint, void>)F("glCompileShader");
            GetShaderiv = (delegate* unmanaged<uint, uint, int*, void>)F("glGetShaderiv");
            CreateProgram = (delegate* unmanaged<uint>)F("glCreateProgram");
            AttachShader = (delegate* unmanaged<uint, uint, void>)F("glAttachShader");
            LinkProgram = (delegate* unmanaged<uint, void>)F("glLinkProgram");
            GetProgramiv = (delegate* unmanaged<uint, uint, int*, void>)F("glGetProgramiv");
            GetUniformLocation = (delegate* unmanaged<uint, byte*, int>)F("glGetUniformLocation");
            UseProgram = (delegate* unmanaged<uint, void>)F("glUseProgram");
            Uniform1f = (delegate* unmanaged<int, float, void>)F("glUniform1f");
            GenVertexArrays = (delegate* unmanaged<int, uint*, void>)F("glGenVertexArrays");
            BindVertexArray = (delegate* unmanaged<uint, void>)F("glBindVertexArray");
            GenTextures = (delegate* unmanaged<int, uint*, void>)F("glGenTextures");
            BindTexture = (delegate* unmanaged<uint, uint, void>)F("glBindTexture");
            TexStorage2D = (delegate* unmanaged<uint, int, uint, int, int, void>)F("glTexStorage2D");
            TexParameteri = (delegate* unmanaged<uint, uint, int, void>)F("glTexParameteri");
            ActiveTexture = (delegate* unmanaged<uint, void>)F("glActiveTexture");
            Viewport = (delegate* unmanaged<int, int, int, int, void>)F("glViewport");
            ClearColor = (delegate* unmanaged<float, float, float, float, void>)F("glClearColor");
            Clear = (delegate* unmanaged<uint, void>)F("glClear");
            Enable = (delegate* unmanaged<uint, void>)F("glEnable");
            DrawArrays = (delegate* unmanaged<uint, int, int, void>)F("glDrawArrays");
            ReadPixels = (delegate* unmanaged<int, int, int, int, uint, uint, void*, void>)F("glReadPixels");
        }
    }
}
