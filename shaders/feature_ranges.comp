#version 430 core
// Minimum and maximum of each listed channel of a planar C×H×W layer: one work group per channel,
// a strided scan then a shared-memory tree reduction. min/max are exact, so the result equals the
// CPU reference (FeatureAtlas.Ranges) bit for bit.

#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 64
#endif

layout(local_size_x = LOCAL_SIZE_X) in;

layout(std430, binding = 0) readonly buffer Maps { float maps[]; };
layout(std430, binding = 1) readonly buffer Channels { uint channels[]; };
layout(std430, binding = 2) writeonly buffer Ranges { vec2 ranges[]; };

uniform uint u_plane;   // height × width of one map

shared float s_lo[LOCAL_SIZE_X];
shared float s_hi[LOCAL_SIZE_X];

void main()
{
    uint tile = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    uint base = channels[tile] * u_plane;
    float lo = maps[base];
    float hi = lo;
    for (uint i = lane; i < u_plane; i += LOCAL_SIZE_X)
    {
        float v = maps[base + i];
        lo = min(lo, v);
        hi = max(hi, v);
    }
    s_lo[lane] = lo;
    s_hi[lane] = hi;
    barrier();
    for (uint stride = LOCAL_SIZE_X / 2u; stride > 0u; stride >>= 1u)
    {
        if (lane < stride)
        {
            s_lo[lane] = min(s_lo[lane], s_lo[lane + stride]);
            s_hi[lane] = max(s_hi[lane], s_hi[lane + stride]);
        }
        barrier();
    }
    if (lane == 0u)
        ranges[tile] = vec2(s_lo[0], s_hi[0]);
}
