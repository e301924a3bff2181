using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Glassbox;
using Glassbox.Engine;
using Glassbox.Engine.Recording;
using Glassbox.Examples;
using Glassbox.Examples.EngineEmbedding;
using Glassbox.Graphics;
using Glassbox.Media;
using Glassbox.Visualisation;

// engine-embedding: a game with its own window and render loop (a textured quad swinging in
// perspective) embeds Glassbox. A recorded drawing session plays into Glassbox's canvas; the CNN
// predicts and explains it on its own thread; every frame Glassbox draws its view into the game's
// texture, and the game draws the quad with it. These are the lines a host engine needs.

const int TextureSize = 512;
var framesOption = new Option<int>("--frames") { Description = "Close after this many frames (with --screenshot, not before the first prediction is in); 0: when the window is closed.", DefaultValueFactory = _ => 0 };
framesOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() < 0)
        r.AddError("--frames must be 0 (run until closed) or a positive number of frames.");
});
var screenshotOption = new Option<FileInfo?>("--screenshot") { Description = "Save the game's last frame as a PNG." };
var recordingOption = new Option<FileInfo>("--recording")
{
    Description = "The drawing session to play into the canvas, on a loop.",
    DefaultValueFactory = _ => new FileInfo(Path.Combine(RepoLayout.Root, "examples", "LiveDemo", "recordings", "digits-0-9.gbrec")),
};
var epOption = new Option<string>("--ep") { Description = "Execution provider: auto, directml, webgpu, cuda or cpu.", DefaultValueFactory = _ => "auto" };
epOption.AcceptOnlyFromAmong("auto", "directml", "dml", "webgpu", "cuda", "cpu");

var root = new RootCommand("A minimal game that embeds Glassbox: the network's live view on a texture of the game's.")
{
    framesOption, screenshotOption, recordingOption, epOption,
};
root.SetAction(parse =>
{
    try
    {
        if (!GlContext.DisplayAvailable)
        {
            Console.WriteLine("engine-embedding: no display, so no game window to draw in. Run it under xvfb-run -a, or on a desktop.");
            return 2;
        }
        return Run(parse.GetValue(framesOption), parse.GetValue(screenshotOption), parse.GetValue(recordingOption)!, parse.GetValue(epOption)!);
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"engine-embedding: {e.Message}");
        return 2;
    }
});
return root.Parse(args).Invoke();

static int Run(int frames, FileInfo? screenshot, FileInfo recording, string ep)
{
    // --- The game's side: its window, its context, its texture. ---
    using var game = new Game(960, 540, "A game with Glassbox inside");
    uint texture = game.CreateTexture(TextureSize, TextureSize);

    // --- Glassbox: a scene, and an embedding that draws it into the game's texture. ---
    using var scene = BuildScene(recording.FullName, ep);
    var inference = scene.Active<CnnInference>().First();
    if (inference.Status is { } problem)
        throw new GlassboxException(problem);
    using var glassbox = GlEmbedding.IntoTexture(game.GetProcAddress, texture, TextureSize, TextureSize,
        ShaderLibrary.FindDefault(), BakedFont.Default);
    var canvas = glassbox.CreateCanvas(clearColor: 0xFF282018u);
    Console.WriteLine($"Game     {glassbox.Context.Renderer}, OpenGL {glassbox.Context.Version.Split(' ')[0]}; Glassbox draws into texture {texture} ({TextureSize}×{TextureSize})");

    var clock = Stopwatch.StartNew();
    var last = TimeSpan.Zero;
    long frame = 0;
    int lastPrediction = -1;
    // A screenshot shows the network's view, so the run goes on past its frames until the first prediction is
    // in: a loaded machine can take longer to explain the replayed drawing than the frames took (at most a minute).
    bool Finished() => frames > 0 && frame >= frames &&
                       (screenshot is null || inference.Completed > 0 || clock.Elapsed > TimeSpan.FromMinutes(1));
    bool finished = false;
    while (!game.ShouldClose && !finished)
    {
        var now = clock.Elapsed;
        scene.Update(new FrameTime(++frame, now, now - last));
        last = now;
        canvas.Begin();
        scene.Render(canvas);
        glassbox.Render(canvas);                                                  // Glassbox → the game's texture
        game.DrawQuad(texture, angle: 0.55f * MathF.Sin((float)now.TotalSeconds * 0.8f)); // the game draws with it
        if (inference.Latest?.Explanation.PredictedClass is int predicted && predicted != lastPrediction)
        {
            lastPrediction = predicted;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Frame {frame,5}: the network sees a {predicted}"));
        }
        finished = Finished();
        if (screenshot is not null && finished)
        {
            Directory.CreateDirectory(screenshot.DirectoryName!);
            ImageFile.Save(screenshot.FullName, new RgbaImage(game.Width, game.Height, game.ReadFrame()));
        }
        game.Present();
    }
    double seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Done     {frame} frames in {seconds:0.0} s ({frame / seconds:0} FPS), {inference.Completed} predictions{(screenshot is null ? "" : $", screenshot {screenshot.FullName}")}"));
    return 0;
}

// The view drawn on the quad: the canvas with Grad-CAM over it, the bars and relu2's most active maps.
static Scene BuildScene(string recording, string ep)
{
    var scene = new Scene("embedded");
    var input = scene.CreateEntity("Input");
    input.Add(new DrawingCanvasInput { X = 16, Y = 48, Size = 280 });
    input.Add(new CnnInference { Model = Path.Combine(RepoLayout.Root, "models", "mnist-cnn"), Ep = ep, Methods = ["grad-cam"] });
    input.Add(new AttributionOverlay { X = 16, Y = 48, Size = 280, Opacity = 0.45f });
    input.Add(new SessionReplayer { Path = recording, Loop = true, PauseSeconds = 1 });
    scene.CreateEntity("Title").Add(new Label { Text = "Glassbox, inside a game's texture", X = 16, Y = 16 });
    scene.CreateEntity("Bars").Add(new Glassbox.Engine.ProbabilityBars { X = 312, Y = 48, Width = 160, BarHeight = 26 });
    scene.CreateEntity("Features").Add(new FeatureMapGrid { Layer = "relu2", X = 16, Y = 356, MaxWidth = 480, MaxChannels = 16, Columns = 8 });
    return scene;
}
