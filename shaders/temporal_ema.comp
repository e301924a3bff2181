#version 430 core
// Temporal smoothing of a live map: state ← state + α·(map − state), elementwise.
// Whether to restart (copy the map) is decided on the CPU (Glassbox.Visualisation.TemporalSmoothing).

#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 64
#endif

layout(local_size_x = LOCAL_SIZE_X) in;

layout(std430, binding = 0) readonly buffer Map { float map_values[]; };
layout(std430, binding = 1) buffer State { float state[]; };

uniform uint u_count;
uniform float u_alpha;   // 1: restart (state becomes the map)

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= u_count)
        return;
    precise float s = state[i] + u_alpha * (map_values[i] - state[i]);
    state[i] = s;
}
