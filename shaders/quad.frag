#version 430 core
// Draws one DrawList command (Glassbox.Visualisation.DrawListRasterizer is the CPU reference):
//   mode 0: image, nearest-neighbour scaled into the rectangle (integer arithmetic, as the reference);
//   mode 1: solid colour (blended by its alpha);
//   mode 2: glyph, the font atlas's coverage times the colour's alpha (blended).

uniform ivec2 u_target;
layout(binding = 0) uniform sampler2D u_texture;

flat in ivec4 v_rect;
flat in ivec4 v_source_mode;
flat in vec4 v_color;

out vec4 o_color;

void main()
{
    // gl_FragCoord is bottom-up; turn it into the top-down pixel the command addresses.
    ivec2 pixel = ivec2(int(gl_FragCoord.x), u_target.y - 1 - int(gl_FragCoord.y));
    ivec2 local = pixel - v_rect.xy;
    int mode = v_source_mode.z;
    if (mode == 0)
    {
        // floor((2·local + 1)·size / (2·rect)) as the CPU reference computes it in integers. In float
        // it is the same: numerator and denominator are exact, and a quotient that is not a whole
        // number sits at least 1/(2·rect) from one, far beyond float rounding at these sizes.
        // (Integer division runs lane by lane on llvmpipe.)
        ivec2 source = ivec2(floor(vec2((2 * local + 1) * v_source_mode.xy) / vec2(2 * v_rect.zw)));
        o_color = texelFetch(u_texture, source, 0);
    }
    else if (mode == 1)
    {
        o_color = v_color;
    }
    else
    {
        float coverage = texelFetch(u_texture, v_source_mode.xy + local, 0).r;
        o_color = vec4(v_color.rgb, v_color.a * coverage);
    }
}
