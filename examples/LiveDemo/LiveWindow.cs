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
    public static int Run(DemoSettings settings, int frames)
    {
        var scene = new Scene("mnist-live");
        var input = scene.CreateEntity("Input");
        input.Add(new DrawingCanvasInput { X = 40, Y = 80, Size = 560 });
        input.Add(new CnnInference { Model = settings.Model.FullName, Ep = settings.Ep, Threads = settings.Threads, Methods = ["grad-cam"] });
        input.Add(new AttributionOverlay { X = 40, Y = 80, Size = 560, Opacity = 0.45f });
        scene.CreateEntity("Title").Add(new Label { Text = "Draw a digit. C clears, Backspace undoes, F11 fullscreen, F12 screenshot, Escape quits.", X = 40, Y = 30 });
        scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 660, Y = 80, Width = 520, BarHeight = 24 });
        scene.CreateEntity("Features").Add(new FeatureMapGrid { Layer = "relu2", X = 660, Y = 380, MaxWidth = 560, MaxChannels = 16 });
        scene.CreateEntity("Stats").Add(new StatsPanel { X = 40, Y = 660 });

        using var host = LiveHost.Open(scene, LiveHostOptions.Default with
        {
            Window = GlWindowOptions.Default with { Title = "Glassbox live demo" },
            ScreenshotFolder = settings.Out.FullName,
        });
        var inference = input.Get<CnnInference>()!;
        if (inference.Status is { } problem)
            Console.Error.WriteLine($"glassbox-demo: {problem}");
        Console.WriteLine($"Window   {host.Window.Context.Renderer}, OpenGL {host.Window.Context.Version.Split(' ')[0]}; draw a digit, Escape quits");
        host.Run(h => frames > 0 && h.Frames >= frames);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done     {host.Frames} frames, {inference.Worker?.Completed ?? 0} predictions, {host.Screenshots.Count} screenshot(s) in {settings.Out.FullName}"));
        return 0;
    }
}
