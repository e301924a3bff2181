using System.Globalization;
using Glassbox.Engine;
using Glassbox.Graphics;
using Glassbox.Host;

namespace Glassbox.Examples.LiveDemo;

/// <summary>
/// The live demo in a window: draw a digit with the mouse (or a finger) on the canvas; the shipped
/// CNN predicts it on its own thread, Grad-CAM lands over the drawing, the most active feature maps
/// of relu2, the bars and the stats update.
/// </summary>
internal static class LiveWindow
{
    /// <param name="exitChord">Kiosk mode: fullscreen, and only these keys held together quit.</param>
    public static int Run(DemoSettings settings, int frames, KeyChord? exitChord = null)
    {
        var kiosk = exitChord is null ? null : new KioskOptions { ExitWhen = exitChord.IsHeld };
        var scene = DemoScene.Build(settings);
        using var host = LiveHost.Open(scene, LiveHostOptions.Default with
        {
            Window = GlWindowOptions.Default with { Title = "Glassbox live demo", Fullscreen = kiosk is not null },
            ScreenshotFolder = settings.Out.FullName,
            Kiosk = kiosk,
        });
        var inference = scene.Active<CnnInference>().FirstOrDefault() ?? throw new GlassboxException("The scene has no CnnInference component to run a model.");
        if (inference.Status is { } problem)
            Console.Error.WriteLine($"glassbox-demo: {problem}");
        Console.WriteLine($"Window   {host.Window.Context.Renderer}, OpenGL {host.Window.Context.Version.Split(' ')[0]}; draw a digit, {(exitChord is null ? "Escape quits" : $"kiosk mode: only {exitChord} quits")}");
        // A replay's frames end once its first result is in: a loaded machine can take longer to explain the first
        // replayed drawing than the frames took (at most a minute), and a replay that showed nothing showed nothing.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        host.Run(h => frames > 0 && h.Frames >= frames &&
                      (settings.Replay is null || inference.Completed > 0 || clock.Elapsed > TimeSpan.FromMinutes(1)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done     {host.Frames} frames, {inference.Completed} predictions, {host.Screenshots.Count} screenshot(s) in {settings.Out.FullName}"));
        return 0;
    }
}
