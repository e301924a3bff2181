using System.Globalization;
using Glassbox.Visualisation;

namespace Glassbox.Graphics.Passes;

/// <summary>
/// GPU temporal smoothing of a live map. The restart decision follows <see cref="TemporalSmoothing"/>
/// on the CPU (it needs the map anyway for the overlay's range); the averaging runs on the GPU and
/// the smoothed map stays there in <see cref="State"/>.
/// </summary>
public sealed class TemporalSmoothingPass : IDisposable
{
    private const int LocalSize = 64;
    private readonly GlContext _context;
    private readonly ShaderProgram _program;
    private StorageBuffer? _map, _state;
    private int _count = -1;

    public TemporalSmoothingPass(GlContext context, ShaderLibrary shaders, float alpha = 0.3f)
    {
        if (!(alpha > 0f && alpha <= 1f))
            throw new ArgumentException($"alpha is {alpha}; use a weight in (0, 1].");
        _context = context;
        Alpha = alpha;
        _program = shaders.Compute(context, "temporal_ema.comp",
            new Dictionary<string, string> { ["LOCAL_SIZE_X"] = LocalSize.ToString(CultureInfo.InvariantCulture) });
    }

    public float Alpha { get; }

    public StorageBuffer State => _state ?? throw new InvalidOperationException("Apply a map first.");

    /// <summary>Folds a map into the state, or restarts from it.</summary>
    public void Apply(ReadOnlySpan<float> map, bool restart)
    {
        if (map.Length != _count)
        {
            _map?.Dispose();
            _state?.Dispose();
            _map = new StorageBuffer(_context, Math.Max(16, map.Length * sizeof(float)));
            _state = new StorageBuffer(_context, Math.Max(16, map.Length * sizeof(float)));
            _count = map.Length;
            restart = true;
        }
        _map!.Write(map);
        _program.Use().Set("u_count", (uint)map.Length).Set("u_alpha", restart ? 1f : Alpha)
            .Bind(0, _map).Bind(1, _state!).Dispatch((uint)((map.Length + LocalSize - 1) / LocalSize));
    }

    public void Dispose()
    {
        _program.Dispose();
        _map?.Dispose();
        _state?.Dispose();
    }
}
