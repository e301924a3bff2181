#version 430 core
// Draws one DrawList command (Glassbox.Visualisation.DrawListRasterizer is the CPU reference):
//   mode 0: image, nearest-neighbour scaled into the rectangle (integer arithmetic, as the reference);
//   mode 1: solid colour (blended by its alpha);
//   mode 2: glyph, the font atlas's coverage times the colour's alpha (blended).

uniform int u_mode;
uniform ivec4 u_rect;
uniform ivec2 u_target;
uniform ivec2 u_source_size;    // image size (mode 0)
uniform ivec2 u_source_origin;  // glyph position in the atlas (mode 2)
uniform vec4 u_color;
layout(binding = 0) uniform sampler2D u_texture;

out vec4 o_color;

void main()
{
    // gl_FragCoord is bottom-up; turn it into the top-down pixel the command addresses.
    ivec2 pixel = ivec2(int(gl_FragCoord.x), u_target.y - 1 - int(gl_FragCoord.y));
    ivec2 local = pixel - u_rect.xy;
    if (u_mode == 0)
    {
        ivec2 source = ((2 * local + 1) * u_source_size) / (2 * u_rect.zw);
        o_color = texelFetch(u_texture, source, 0);
    }
    else if (u_mode == 1)
    {
        o_color = u_color;
    }
    else
    {
        float coverage = texelFetch(u_texture, u_source_origin + local, 0).r;
        o_color = vec4(u_color.rgb, u_color.a * coverage);
    }
}
