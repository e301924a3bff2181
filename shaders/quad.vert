#version 430 core
// Pixel-aligned rectangles, one instance per DrawList command (no vertex buffer: gl_VertexID picks
// the corner, gl_InstanceID the command). Pixel coordinates have row 0 at the top; the flip to GL's
// bottom-up clip space happens here.

struct Command
{
    ivec4 rect;          // x, y, width, height in target pixels
    ivec4 source_mode;   // glyph: atlas x, y; image: source width, height; then the mode
    vec4 color;
};

layout(std430, binding = 0) readonly buffer Commands { Command commands[]; };

uniform ivec2 u_target;        // target width, height
uniform int u_first;           // index of this draw's first command

flat out ivec4 v_rect;
flat out ivec4 v_source_mode;
flat out vec4 v_color;

void main()
{
    Command command = commands[u_first + gl_InstanceID];
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
    vec2 pixel = vec2(command.rect.xy) + corner * vec2(command.rect.zw);
    gl_Position = vec4(pixel.x / float(u_target.x) * 2.0 - 1.0, 1.0 - pixel.y / float(u_target.y) * 2.0, 0.0, 1.0);
    v_rect = command.rect;
    v_source_mode = command.source_mode;
    v_color = command.color;
}
