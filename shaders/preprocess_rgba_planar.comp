#version 430 core
// Frame → model input: RGBA8 pixels to a planar (C×H×W) float tensor,
// value = (channel / 255 − mean) / std, or BT.601 luma for one-channel models.
// CPU reference: Glassbox.PlanarPreprocess.

// 8×8 work groups over the image: a 2-D index needs no per-pixel integer division (slow on llvmpipe).
#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 8
#endif
#ifndef LOCAL_SIZE_Y
#define LOCAL_SIZE_Y 8
#endif

#include "common.glsl"

layout(local_size_x = LOCAL_SIZE_X, local_size_y = LOCAL_SIZE_Y) in;

layout(std430, binding = 0) readonly buffer Pixels { uint pixels[]; };
layout(std430, binding = 1) writeonly buffer Tensor { float tensor[]; };

uniform uint u_width;
uniform uint u_height;
uniform uint u_stride_pixels;   // row pitch of the source in pixels (stride bytes / 4)
uniform uint u_channels;        // 1 or 3
uniform vec4 u_mean;
uniform vec4 u_inv_std;

void main()
{
    uint x = gl_GlobalInvocationID.x;
    uint y = gl_GlobalInvocationID.y;
    if (x >= u_width || y >= u_height)
        return;
    uint plane = u_width * u_height;
    uint i = y * u_width + x;
    vec4 c = unpack_rgba8(pixels[y * u_stride_pixels + x]);
    if (u_channels == 1u)
    {
        float luma = 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
        tensor[i] = (luma - u_mean.x) * u_inv_std.x;
    }
    else
    {
        tensor[i] = (c.r - u_mean.x) * u_inv_std.x;
        tensor[plane + i] = (c.g - u_mean.y) * u_inv_std.y;
        tensor[2u * plane + i] = (c.b - u_mean.z) * u_inv_std.z;
    }
}
