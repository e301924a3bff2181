#version 430 core
// Feature-map atlas: one invocation per source map pixel (x, y of tile z) writes its scale × scale
// block of the atlas; gutters and empty cells are cleared to the background beforehand. Indexing by
// source pixel needs no integer division per atlas pixel, which llvmpipe cannot vectorise.
// CPU reference: Glassbox.Visualisation.FeatureAtlas.Render.

#ifndef LOCAL_SIZE_X
#define LOCAL_SIZE_X 8
#endif
#ifndef LOCAL_SIZE_Y
#define LOCAL_SIZE_Y 8
#endif

#include "colormap.glsl"

layout(local_size_x = LOCAL_SIZE_X, local_size_y = LOCAL_SIZE_Y) in;

layout(std430, binding = 0) readonly buffer Maps { float maps[]; };
layout(std430, binding = 1) readonly buffer Channels { uint channels[]; };
layout(std430, binding = 2) readonly buffer Ranges { vec2 ranges[]; };
layout(std430, binding = 3) readonly buffer Lut { uint lut[256]; };
layout(std430, binding = 4) writeonly buffer Pixels { uint pixels[]; };

uniform uint u_map_width;
uniform uint u_map_height;
uniform uint u_tiles;
uniform uint u_columns;
uniform uint u_gutter;
uniform uint u_scale;
uniform uint u_atlas_width;
uniform uint u_per_layer;      // 1: use the layer range stored at ranges[u_tiles]

void main()
{
    uint x = gl_GlobalInvocationID.x;
    uint y = gl_GlobalInvocationID.y;
    uint tile = gl_GlobalInvocationID.z;
    if (x >= u_map_width || y >= u_map_height || tile >= u_tiles)
        return;
    // tile / columns without integer division (llvmpipe runs that per lane); exact for any tile count
    // below 2^22 because the quotient is nudged half a step away from the rounding edge.
    uint row = uint(floor((float(tile) + 0.5) / float(u_columns)));
    uint column = tile - row * u_columns;
    uint tile_w = u_map_width * u_scale, tile_h = u_map_height * u_scale;
    uint origin_x = u_gutter + column * (tile_w + u_gutter) + x * u_scale;
    uint origin_y = u_gutter + row * (tile_h + u_gutter) + y * u_scale;
    float v = maps[channels[tile] * (u_map_width * u_map_height) + y * u_map_width + x];
    vec2 range = ranges[u_per_layer != 0u ? u_tiles : tile];
    uint pixel = lut[colormap_index(normalise_in_range(v, range))];
    for (uint dy = 0u; dy < u_scale; dy++)
    {
        uint base = (origin_y + dy) * u_atlas_width + origin_x;
        for (uint dx = 0u; dx < u_scale; dx++)
            pixels[base + dx] = pixel;
    }
}
