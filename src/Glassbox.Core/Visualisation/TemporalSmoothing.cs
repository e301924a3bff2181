namespace Glassbox.Visualisation;

/// <summary>
/// An exponential moving average of successive maps, state ← state + α·(map − state), so a live overlay
/// does not flicker (AttributionOverlay.Smoothing). Maps are small (a few hundred values, once per result),
/// so it runs where the overlay is recorded rather than as a GPU pass. It starts over (state ← map)
/// on the first map, when the caller reports a scene change, or when the map moved so far from the
/// state that averaging would smear two different scenes together.
/// </summary>
public sealed class TemporalSmoothing
{
    private float[] _state = [];
    private bool _primed;

    /// <param name="alpha">Weight of the newest map, in (0, 1]; 1 turns smoothing off.</param>
    /// <param name="resetDistance">Mean |map − state| over the map's value range above which the state restarts; 0 never restarts by itself.</param>
    public TemporalSmoothing(float alpha = 0.3f, float resetDistance = 0.35f)
    {
        if (!(alpha > 0f && alpha <= 1f))
            throw new ArgumentException($"alpha is {alpha}; use a weight in (0, 1] (1 turns smoothing off).");
        if (!(resetDistance >= 0f))
            throw new ArgumentException($"resetDistance is {resetDistance}; use 0 (never) or a positive fraction of the value range.");
        Alpha = alpha;
        ResetDistance = resetDistance;
    }

    public float Alpha { get; }

    public float ResetDistance { get; }

    /// <summary>The smoothed map after the last <see cref="Apply"/>.</summary>
    public ReadOnlySpan<float> State => _state;

    /// <summary>Folds <paramref name="map"/> into the state; returns true when the state restarted.</summary>
    public bool Apply(ReadOnlySpan<float> map, bool sceneChanged = false)
    {
        bool restart = !_primed || sceneChanged || map.Length != _state.Length || ResetDistance > 0f && Distance(map) > ResetDistance;
        if (restart)
        {
            if (_state.Length != map.Length)
                _state = new float[map.Length];
            map.CopyTo(_state);
            _primed = true;
            return true;
        }
        for (int i = 0; i < map.Length; i++)
            _state[i] = Step(_state[i], map[i], Alpha);
        return false;
    }

    public void Reset() => _primed = false;

    /// <summary>One element of the average.</summary>
    public static float Step(float state, float value, float alpha) => state + alpha * (value - state);

    private float Distance(ReadOnlySpan<float> map)
    {
        float lo = map[0], hi = map[0];
        double sum = 0;
        for (int i = 0; i < map.Length; i++)
        {
            lo = MathF.Min(lo, map[i]);
            hi = MathF.Max(hi, map[i]);
            sum += MathF.Abs(map[i] - _state[i]);
        }
        float range = hi - lo;
        return range > 0f ? (float)(sum / map.Length / range) : 0f;
    }
}
