using Silk.NET.OpenGL;

namespace Glassbox.Graphics;

/// <summary>A linked shader program: one compute shader, or a vertex and a fragment shader. Owned by one <see cref="GlContext"/>.</summary>
public sealed unsafe class ShaderProgram : IDisposable
{
    private readonly GlContext _context;
    private readonly Dictionary<string, int> _uniforms = new(StringComparer.Ordinal);
    private uint _id;

    /// <summary>A compute program.</summary>
    public ShaderProgram(GlContext context, ShaderSource source)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(source);
        context.CheckThread();
        _context = context;
        Source = source;
        IsCompute = true;
        _id = ShaderCompiler.Link(context.Gl, source, [(ShaderType.ComputeShader, source)]);
    }

    /// <summary>A rasterisation program from a vertex and a fragment shader.</summary>
    public ShaderProgram(GlContext context, ShaderSource vertex, ShaderSource fragment)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CheckThread();
        _context = context;
        Source = fragment;
        VertexSource = vertex;
        _id = ShaderCompiler.Link(context.Gl, fragment, [(ShaderType.VertexShader, vertex), (ShaderType.FragmentShader, fragment)]);
    }

    /// <summary>The compute or fragment source (the one error messages are usually about).</summary>
    public ShaderSource Source { get; private set; }

    /// <summary>The vertex source of a rasterisation program, or null.</summary>
    public ShaderSource? VertexSource { get; private set; }

    /// <summary>Every file the program was built from, for change detection.</summary>
    public IEnumerable<string> Files => VertexSource is null ? Source.Files : Source.Files.Concat(VertexSource.Files).Distinct();

    /// <summary>
    /// Rebuilds the program from new sources. On success the new program replaces the old one in
    /// place (callers keep their reference); on failure the old one stays and the error is thrown.
    /// </summary>
    internal void Replace(ShaderSource source, ShaderSource? vertex)
    {
        CheckAlive();
        uint rebuilt = vertex is null
            ? ShaderCompiler.Link(_context.Gl, source, [(ShaderType.ComputeShader, source)])
            : ShaderCompiler.Link(_context.Gl, source, [(ShaderType.VertexShader, vertex), (ShaderType.FragmentShader, source)]);
        _context.Gl.DeleteProgram(_id);
        _id = rebuilt;
        _uniforms.Clear();
        Source = source;
        VertexSource = vertex;
    }

    public bool IsCompute { get; }

    /// <summary>Makes this the current program, for the uniform setters and <see cref="Dispatch"/>.</summary>
    public ShaderProgram Use()
    {
        CheckAlive();
        _context.Gl.UseProgram(_id);
        return this;
    }

    public ShaderProgram Set(string uniform, int value)
    {
        _context.Gl.Uniform1(Location(uniform), value);
        return this;
    }

    public ShaderProgram Set(string uniform, uint value)
    {
        _context.Gl.Uniform1(Location(uniform), value);
        return this;
    }

    public ShaderProgram Set(string uniform, float value)
    {
        _context.Gl.Uniform1(Location(uniform), value);
        return this;
    }

    public ShaderProgram Set(string uniform, int x, int y)
    {
        _context.Gl.Uniform2(Location(uniform), x, y);
        return this;
    }

    public ShaderProgram Set(string uniform, int x, int y, int z, int w)
    {
        _context.Gl.Uniform4(Location(uniform), x, y, z, w);
        return this;
    }

    public ShaderProgram Set(string uniform, float x, float y, float z, float w)
    {
        float* v = stackalloc float[4] { x, y, z, w };
        _context.Gl.Uniform4(Location(uniform), 1, v);
        return this;
    }

    /// <summary>Binds a storage buffer to <c>layout(binding = N)</c>.</summary>
    public ShaderProgram Bind(uint binding, StorageBuffer buffer)
    {
        CheckAlive();
        _context.Gl.BindBufferBase(GLEnum.ShaderStorageBuffer, binding, buffer.Id);
        return this;
    }

    /// <summary>Runs the program over the given number of work groups, then orders storage writes before later reads.</summary>
    public void Dispatch(uint groupsX, uint groupsY = 1, uint groupsZ = 1)
    {
        CheckAlive();
        if (!IsCompute)
            throw new InvalidOperationException("Dispatch runs compute programs; this one rasterises.");
        _context.Gl.DispatchCompute(groupsX, groupsY, groupsZ);
        _context.Gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit | MemoryBarrierMask.BufferUpdateBarrierBit);
    }

    public void Dispose()
    {
        if (_id == 0)
            return;
        _context.CheckThread();
        _context.Gl.DeleteProgram(_id);
        _id = 0;
    }

    private int Location(string uniform)
    {
        CheckAlive();
        if (!_uniforms.TryGetValue(uniform, out int location))
        {
            location = _context.Gl.GetUniformLocation(_id, uniform);
            // -1 also means "optimised away"; setting it is a harmless no-op in GL, so only cache it.
            _uniforms[uniform] = location;
        }
        return location;
    }

    private void CheckAlive()
    {
        ObjectDisposedException.ThrowIf(_id == 0, this);
        _context.CheckThread();
    }
}

/// <summary>Compiles and links GLSL, turning driver logs into messages with original files and lines.</summary>
internal static unsafe class ShaderCompiler
{
    public static uint Link(GL gl, ShaderSource program, IReadOnlyList<(ShaderType Stage, ShaderSource Source)> stages)
    {
        var shaders = new List<uint>();
        uint id = 0;
        try
        {
            foreach (var (stage, source) in stages)
                shaders.Add(Compile(gl, stage, source));
            id = gl.CreateProgram();
            foreach (var shader in shaders)
                gl.AttachShader(id, shader);
            gl.LinkProgram(id);
            gl.GetProgram(id, ProgramPropertyARB.LinkStatus, out int ok);
            if (ok == 0)
                throw new ShaderCompileException($"{program.Path}: link failed:\n{program.MapCompilerLog(LogOrNote(gl.GetProgramInfoLog(id)))}");
            uint linked = id;
            id = 0;
            return linked;
        }
        finally
        {
            foreach (var shader in shaders)
                gl.DeleteShader(shader);
            if (id != 0)
                gl.DeleteProgram(id);
        }
    }

    private static uint Compile(GL gl, ShaderType stage, ShaderSource source)
    {
        uint shader = gl.CreateShader(stage);
        gl.ShaderSource(shader, source.Text);
        gl.CompileShader(shader);
        gl.GetShader(shader, ShaderParameterName.CompileStatus, out int ok);
        if (ok == 0)
        {
            string log = gl.GetShaderInfoLog(shader);
            gl.DeleteShader(shader);
            throw new ShaderCompileException($"{source.Path}: compile failed:\n{source.MapCompilerLog(LogOrNote(log))}");
        }
        return shader;
    }

    private static string LogOrNote(string log) => string.IsNullOrWhiteSpace(log) ? "(the driver gave no log)" : log;
}
