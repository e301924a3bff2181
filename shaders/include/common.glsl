// Shared helpers for Glassbox compute passes.
//
// Pixels arrive as RGBA8 packed into one uint each, little-endian (R in the low byte), with
// row 0 at the top, exactly as frames are stored on the CPU.

const float INV_255 = 1.0 / 255.0;

// Unpacks an RGBA8 pixel to [0, 1] floats. Multiplies by 1/255 (rather than dividing) so the
// result matches the CPU reference bit for bit.
vec4 unpack_rgba8(uint p)
{
    uvec4 bytes = uvec4(p & 0xFFu, (p >> 8) & 0xFFu, (p >> 16) & 0xFFu, p >> 24);
    return vec4(bytes) * INV_255;
}
