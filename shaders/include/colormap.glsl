// Colormap lookup shared by every pass that colours values. The table is 256 RGBA8 entries
// (Glassbox.Colormaps, sampled from matplotlib); the index rule matches Colormaps.IndexOf exactly:
// round(t * 255) clamped to [0, 255], NaN → 0. "precise" forbids fused multiply-add, which would
// round differently from the CPU reference.

int colormap_index(float t)
{
    if (isnan(t))
        return 0;
    precise float scaled = floor(t * 255.0 + 0.5);
    return int(clamp(scaled, 0.0, 255.0));
}

// Value scaled into [0, 1] by a (min, max) range; a flat range gives 0 (FeatureAtlas.Normalise).
float normalise_in_range(float v, vec2 range)
{
    precise float t = range.y > range.x ? (v - range.x) / (range.y - range.x) : 0.0;
    return t;
}
