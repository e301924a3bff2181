#version 430 core
// Feature-map atlas: each output pixel finds its tile and source pixel, normalises the value by its
// channel's (or the layer's) range and colours it. One invocation per atlas pixel, row 0 at the top.
// CPU reference: Glassbox.Visualisation.FeatureAtlas.Render.

#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 64
#endif

#include "colormap.glsl"

layout(local_size_x = LOCAL_SIZE_X) in;

layout(std430, binding = 0) readonly buffer Maps { float maps[]; };
layout(std430, binding = 1) readonly buffer Channels { uint channels[]; };
layout(std430, binding = 2) readonly buffer Ranges { vec2 ranges[]; };
layout(std430, binding = 3) readonly buffer Lut { uint lut[256]; };
layout(std430, binding = 4) writeonly buffer Pixels { uint pixels[]; };

uniform uint u_map_width;
uniform uint u_map_height;
uniform uint u_tiles;
uniform uint u_columns;
uniform uint u_tile_width;     // map width × scale
uniform uint u_tile_height;
uniform uint u_gutter;
uniform uint u_scale;
uniform uint u_atlas_width;
uniform uint u_atlas_height;
uniform uint u_per_layer;      // 1: use the layer range stored at ranges[u_tiles]
uniform uint u_background;     // RGBA8, R in the low byte

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= u_atlas_width * u_atlas_height)
        return;
    uint y = i / u_atlas_width;
    uint x = i - y * u_atlas_width;
    uint pixel = u_background;
    if (x >= u_gutter && y >= u_gutter)
    {
        uint rx = x - u_gutter, ry = y - u_gutter;
        uint cell_w = u_tile_width + u_gutter, cell_h = u_tile_height + u_gutter;
        uint column = rx / cell_w, row = ry / cell_h;
        uint ix = rx - column * cell_w, iy = ry - row * cell_h;
        uint tile = row * u_columns + column;
        if (ix < u_tile_width && iy < u_tile_height && column < u_columns && tile < u_tiles)
        {
            uint plane = u_map_width * u_map_height;
            float v = maps[channels[tile] * plane + (iy / u_scale) * u_map_width + ix / u_scale];
            vec2 range = ranges[u_per_layer != 0u ? u_tiles : tile];
            pixel = lut[colormap_index(normalise_in_range(v, range))];
        }
    }
    pixels[i] = pixel;
}
