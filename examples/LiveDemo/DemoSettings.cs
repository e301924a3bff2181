namespace Glassbox.Examples.LiveDemo;

/// <summary>What the command line decided.</summary>
internal sealed record DemoSettings(DirectoryInfo Model, string Ep, int Threads, int Digits, DirectoryInfo Out, bool CpuRender, FileInfo? SceneFile = null);
