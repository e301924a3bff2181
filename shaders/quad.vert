#version 430 core
// A pixel-aligned rectangle from four vertices (no vertex buffer: gl_VertexID picks the corner).
// Pixel coordinates have row 0 at the top; the flip to GL's bottom-up clip space happens here.

uniform ivec4 u_rect;     // x, y, width, height in target pixels
uniform ivec2 u_target;   // target width, height

void main()
{
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
    vec2 pixel = vec2(u_rect.xy) + corner * vec2(u_rect.zw);
    gl_Position = vec4(pixel.x / float(u_target.x) * 2.0 - 1.0, 1.0 - pixel.y / float(u_target.y) * 2.0, 0.0, 1.0);
}
