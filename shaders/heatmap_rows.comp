#version 430 core
// First half of the heatmap upsampling: every map row interpolated horizontally at every frame
// column (bilinear or bicubic, pixel centres aligned, edges clamped). The overlay pass then only
// interpolates vertically between these rows, which is the same arithmetic in the same order as
// the CPU reference (HeatmapOverlay.Sample) with far fewer reads per pixel.

#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 64
#endif

layout(local_size_x = LOCAL_SIZE_X) in;

layout(std430, binding = 0) readonly buffer Map { float map_values[]; };
layout(std430, binding = 4) writeonly buffer Rows { float rows[]; };   // map height × frame width

uniform int u_map_width;
uniform int u_map_height;
uniform int u_frame_width;
uniform int u_bicubic;

float map_at(int x, int y)
{
    return map_values[y * u_map_width + clamp(x, 0, u_map_width - 1)];
}

float cubic(float d)
{
    const float a = -0.75;
    precise float ad = abs(d);
    precise float w = 0.0;
    if (ad <= 1.0)
        w = ((a + 2.0) * ad - (a + 3.0)) * ad * ad + 1.0;
    else if (ad < 2.0)
        w = ((a * ad - 5.0 * a) * ad + 8.0 * a) * ad - 4.0 * a;
    return w;
}

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int row = int(gl_GlobalInvocationID.y);
    if (x >= u_frame_width || row >= u_map_height)
        return;
    precise float sx = (float(x) + 0.5) * (float(u_map_width) / float(u_frame_width)) - 0.5;
    float fx = floor(sx);
    int ix = int(fx);
    precise float tx = sx - fx;
    precise float value;
    if (u_bicubic == 0)
    {
        float a = map_at(ix, row), b = map_at(ix + 1, row);
        value = a + (b - a) * tx;
    }
    else
    {
        value = 0.0;
        for (int i = -1; i <= 2; i++)
            value += cubic(float(i) - tx) * map_at(ix + i, row);
    }
    rows[row * u_frame_width + x] = value;
}
