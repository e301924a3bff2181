namespace Glassbox.Examples.LiveDemo;

/// <summary>What the command line decided.</summary>
/// <param name="Record">Record the session to this .gbrec file.</param>
/// <param name="Replay">Play this recording into the scene.</param>
internal sealed record DemoSettings(DirectoryInfo Model, string Ep, int Threads, int Digits, DirectoryInfo Out, bool CpuRender,
                                    FileInfo? SceneFile = null, FileInfo? Record = null, FileInfo? Replay = null, float ReplaySpeed = 1f);
