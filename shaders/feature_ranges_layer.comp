#version 430 core
// Per-layer normalisation: folds the per-channel ranges into one, stored after them at index u_tiles.

layout(local_size_x = 1) in;

layout(std430, binding = 2) buffer Ranges { vec2 ranges[]; };

uniform uint u_tiles;

void main()
{
    vec2 layer = ranges[0];
    for (uint i = 1u; i < u_tiles; i++)
        layer = vec2(min(layer.x, ranges[i].x), max(layer.y, ranges[i].y));
    ranges[u_tiles] = layer;
}
