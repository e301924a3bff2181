#version 430 core
// Heatmap overlay: a low-resolution map upsampled to the frame (bilinear or bicubic, pixel centres
// aligned, edges clamped), normalised by a precomputed range, coloured, and blended over the frame,
// with an optional contour. One invocation per frame pixel, row 0 at the top. The horizontal half of
// the upsampling comes precomputed per map row from heatmap_rows.comp.
// CPU reference: Glassbox.Visualisation.HeatmapOverlay (same operations in the same order; "precise"
// keeps the compiler from fusing them, so both give the same bytes).

// 8×8 work groups over the frame: a 2-D index needs no integer division per pixel, which llvmpipe
// cannot vectorise.
#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 8
#endif
#ifndef LOCAL_SIZE_Y
#define LOCAL_SIZE_Y 8
#endif

// CONTOUR 1 compiles the contour test in. It samples four neighbours per pixel, and llvmpipe
// evaluates them even behind a false branch, so the pass picks the variant without it when no
// contour is asked for.
#ifndef CONTOUR
#define CONTOUR 1
#endif

#include "colormap.glsl"

layout(local_size_x = LOCAL_SIZE_X, local_size_y = LOCAL_SIZE_Y) in;

layout(std430, binding = 4) readonly buffer Rows { float rows[]; };   // map height × frame width
layout(std430, binding = 1) readonly buffer Frame { uint frame[]; };
layout(std430, binding = 2) readonly buffer Lut { uint lut[256]; };
layout(std430, binding = 3) writeonly buffer Pixels { uint pixels[]; };

uniform int u_map_width;
uniform int u_map_height;
uniform int u_frame_width;
uniform int u_frame_height;
uniform int u_frame_stride;     // pixels per frame row
uniform float u_low;
uniform float u_high;
uniform float u_opacity;
uniform int u_bicubic;
uniform float u_contour_level;  // ≤ 0: no contour
uniform uint u_contour_color;

float row_at(int row, int x)
{
    return rows[clamp(row, 0, u_map_height - 1) * u_frame_width + x];
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

float sample_map(int x, int y)
{
    precise float sy = (float(y) + 0.5) * (float(u_map_height) / float(u_frame_height)) - 0.5;
    float fy = floor(sy);
    int iy = int(fy);
    precise float ty = sy - fy;
    if (u_bicubic == 0)
    {
        float top = row_at(iy, x), bottom = row_at(iy + 1, x);
        precise float v = top + (bottom - top) * ty;
        return v;
    }
    precise float sum = 0.0;
    for (int j = -1; j <= 2; j++)
    {
        precise float wy = cubic(float(j) - ty);
        sum += wy * row_at(iy + j, x);
    }
    return sum;
}

float level_at(int x, int y)
{
    float v = sample_map(x, y);
    precise float t = u_high > u_low ? (v - u_low) / (u_high - u_low) : 0.0;
    return clamp(t, 0.0, 1.0);
}

uint blend_channel(uint under, uint over, int shift)
{
    precise float mixed = float((under >> shift) & 0xFFu) * (1.0 - u_opacity) + float((over >> shift) & 0xFFu) * u_opacity;
    return uint(floor(mixed + 0.5)) << shift;
}

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    if (x >= u_frame_width || y >= u_frame_height)
        return;
    int i = y * u_frame_width + x;
    float t = level_at(x, y);
    bool contour = false;
#if CONTOUR
    if (u_contour_level > 0.0 && t >= u_contour_level)
    {
        contour = (x > 0 && level_at(x - 1, y) < u_contour_level) ||
                  (x < u_frame_width - 1 && level_at(x + 1, y) < u_contour_level) ||
                  (y > 0 && level_at(x, y - 1) < u_contour_level) ||
                  (y < u_frame_height - 1 && level_at(x, y + 1) < u_contour_level);
    }
#endif
    if (contour)
    {
        pixels[i] = u_contour_color;
        return;
    }
    uint under = frame[y * u_frame_stride + x];
    uint over = lut[colormap_index(t)];
    pixels[i] = blend_channel(under, over, 0) | blend_channel(under, over, 8) | blend_channel(under, over, 16) | 0xFF000000u;
}
