using System.Diagnostics;
using System.Globalization;
using System.Text;
using Glassbox.Engine;
using Glassbox.Engine.Recording;
using Glassbox.Graphics;
using Glassbox.Inference;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Examples.LiveDemo;

/// <summary>
/// The live demo without a window: the same scene, fed by a script that draws each digit of the stroke
/// set on the canvas as a user would, one after another; after each, the frame showing its result is
/// saved, and a report says what the network predicted. Rendered on the GPU offscreen when a display
/// gives an OpenGL context, else by the CPU rasteriser (the same picture).
/// </summary>
internal static class HeadlessDemo
{
    private sealed record DrawnDigit(int Digit, int Predicted, float Confidence, double LatencyMs, string Screenshot);

    public static int Run(DemoSettings settings)
    {
        using var scene = DemoScene.Build(settings);
        var inference = scene.Active<CnnInference>().FirstOrDefault() ?? throw new GlassboxException("The scene has no CnnInference component to run a model.");
        if (inference.Status is { } problem)
            throw new GlassboxException(problem);
        var canvas = scene.Active<DrawingCanvasInput>().FirstOrDefault()
                     ?? throw new GlassboxException("The headless demo draws digits on the scene's DrawingCanvas, and this scene has none; run it with --window.");
        using var frames = FrameRenderer.Create(settings.CpuRender);
        Console.WriteLine($"Model    {inference.Package!.Name} ({inference.Package.ModelPath}), SHA-256 verified against its manifest");
        Console.WriteLine($"Render   {frames.Description}");
        Directory.CreateDirectory(settings.Out.FullName);

        var clock = Stopwatch.StartNew();
        long frame = 0;
        var last = TimeSpan.Zero;
        void Step()
        {
            var now = clock.Elapsed;
            scene.Update(new FrameTime(++frame, now, now - last));
            last = now;
        }
        var results = new List<DrawnDigit>();
        int count = Math.Min(settings.Digits, 10);
        for (int digit = 0; digit < count; digit++)
        {
            canvas.Clear();
            foreach (var stroke in DigitStrokes.For(digit))
                Draw(canvas, stroke, Step);
            var drawnAt = clock.Elapsed;
            Step();
            long wanted = canvas.LastSequence;
            while (inference.Latest?.Sequence != wanted && clock.Elapsed - drawnAt < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(1);
                Step();
            }
            Step(); // one more frame, so components that watch results (a recorder) see this one
            var result = inference.Latest ?? throw new GlassboxException($"No prediction within 30 s{(inference.LastError is { } error ? $": {error}" : "")}.");
            double latency = (clock.Elapsed - drawnAt).TotalMilliseconds;
            string file = Path.Combine(settings.Out.FullName, $"drawn-{digit}.png");
            ImageFile.Save(file, frames.Render(scene));
            int predicted = result.Explanation.PredictedClass;
            results.Add(new DrawnDigit(digit, predicted, result.Explanation.Probabilities[predicted], latency, file));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Drawn    {digit}: predicted {predicted} ({result.Explanation.Probabilities[predicted] * 100:0.0}%), result ready {latency:0} ms after the drawing → {file}"));
        }
        // The whole network for the last digit, as key N shows it in the window.
        var controls = scene.Active<DemoControls>().FirstOrDefault();
        if (controls is not null && results.Count > 0 && scene.Entities().SelectMany(e => e.Components).OfType<NetworkView>().Any())
        {
            controls.OnKey('n');
            Step();
            string inspected = Inspect(scene, inference, Step);
            string file = Path.Combine(settings.Out.FullName, "network.png");
            ImageFile.Save(file, frames.Render(scene));
            controls.OnKey('n');
            Console.WriteLine($"Network  every layer of the model for the last digit (key N in the window), {inspected} → {file}");
        }
        string report = WriteReport(settings, inference, frames.Description, results);
        Console.WriteLine($"Report   {report}");
        if (scene.Active<SessionRecorder>().FirstOrDefault() is { Recording: { } recording } recorder)
        {
            recorder.Save();
            Console.WriteLine(recorder.LastError ?? $"Recorded {recording.Inputs.Count} inputs and {recording.Results.Count} results → {scene.ResolvePath(recorder.Path)}");
        }
        Console.WriteLine($"Done     {results.Count} digits drawn on the canvas, {results.Count(r => r.Digit == r.Predicted)} recognised; screenshots in {settings.Out.FullName}");
        return 0;
    }

    /// <summary>
    /// Selects, as a click would, the channel of the deepest convolution's map that is most active on the last digit, and
    /// steps until the inspector below the view has its examples and synthesised input (a minute at most; the ranking is
    /// cached, so a second run is quick). Says what it showed.
    /// </summary>
    private static string Inspect(Scene scene, CnnInference inference, Action step)
    {
        var view = scene.Active<NetworkView>().FirstOrDefault();
        var inspector = scene.Active<ChannelInspector>().FirstOrDefault();
        if (view is null || inspector is null || inference.Latest is not { } result || inference.Explainer is not { } explainer)
            return "no channel inspected";
        var shapes = explainer.SizedModel.Layers().GroupBy(l => l.Output).ToDictionary(g => g.Key, g => g.First().Shape!);
        // The deepest feature map with a grid that a convolution makes (through activations and pooling): every view of it has something to show.
        var maps = NetworkView.LayersOf(explainer.SizedModel).Where(l => shapes[l].Rank == 4 && shapes[l][2] * shapes[l][3] > 1 && result.Explanation.Tensors.ContainsKey(l)).ToList();
        string? layer = maps.LastOrDefault(l => Glassbox.Onnx.ChannelKernel.Of(explainer.SizedModel, l, 0, out _) is not null) ?? maps.LastOrDefault();
        if (layer is null)
            return "no channel inspected";
        int channels = (int)shapes[layer][1], plane = (int)(shapes[layer][2] * shapes[layer][3]);
        var values = result.Explanation.Tensors[layer];
        int channel = Enumerable.Range(0, channels).MaxBy(c => values.AsSpan(c * plane, plane).ToArray().Sum());
        view.Select(layer, channel);
        var started = Stopwatch.StartNew();
        while (!(inspector.Settled && inspector.Contribution is not null) && started.Elapsed < TimeSpan.FromMinutes(1))
        {
            Thread.Sleep(5);
            step();
        }
        step();
        return inspector.Settled
            ? string.Create(CultureInfo.InvariantCulture, $"channel {channel} of {layer} inspected in {started.Elapsed.TotalSeconds:0.0} s")
            : $"channel {channel} of {layer} still being inspected after a minute ({inspector.Progress})";
    }

    // Draws a stroke as a hand on a 125 Hz pointer would: a point every 8 ms, a frame after each, so the
    // network sees (and a recording keeps) the digit as it grows.
    private static void Draw(DrawingCanvasInput canvas, IReadOnlyList<StrokePoint> stroke, Action step)
    {
        float scale = (float)canvas.Resolution / DigitStrokes.CanvasSize;
        for (int i = 0; i < stroke.Count; i++)
        {
            var point = stroke[i] with { X = stroke[i].X * scale, Y = stroke[i].Y * scale };
            if (i == 0)
                canvas.BeginStroke(point);
            else
                canvas.ContinueStroke(point);
            Thread.Sleep(8);
            step();
        }
        canvas.EndStroke();
    }

    private static string WriteReport(DemoSettings settings, CnnInference inference, string renderer, List<DrawnDigit> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Glassbox live demo, headless run").AppendLine();
        sb.AppendLine($"- Model: `{inference.Package!.Name}`, SHA-256 `{inference.Package.Sha256}`");
        sb.AppendLine($"- Execution provider: {inference.Latest?.Explanation.Provider.DisplayName() ?? "-"}");
        sb.AppendLine($"- Rendering: {renderer}");
        sb.AppendLine("- Input: each digit of the stroke set drawn on the canvas by a script; explanation Grad-CAM on the last spatial layer; feature maps of relu2").AppendLine();
        sb.AppendLine("| drawn | predicted | confidence | result ready after (ms) | screenshot |");
        sb.AppendLine("|---:|---:|---:|---:|---|");
        foreach (var r in results)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Digit} | {r.Predicted} | {r.Confidence * 100:0.0}% | {r.LatencyMs:0} | [{Path.GetFileName(r.Screenshot)}]({Path.GetFileName(r.Screenshot)}) |"));
        string path = Path.Combine(settings.Out.FullName, "report.md");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>Turns the scene into pixels: on the GPU offscreen when possible, else on the CPU.</summary>
    private sealed class FrameRenderer : IDisposable
    {
        private readonly GlContext? _gl;
        private readonly SceneCanvasRenderer? _gpu;
        private readonly SceneCanvas _canvas;

        private FrameRenderer(GlContext? gl, SceneCanvasRenderer? gpu, SceneCanvas canvas, string description)
        {
            _gl = gl;
            _gpu = gpu;
            _canvas = canvas;
            Description = description;
        }

        public string Description { get; }

        public static FrameRenderer Create(bool forceCpu)
        {
            var font = BakedFont.Default;
            string why = forceCpu ? "--cpu-render" : "no display, so no OpenGL context (run under xvfb-run -a for the GPU path)";
            if (!forceCpu && GlContext.DisplayAvailable)
            {
                try
                {
                    var gl = GlContext.CreateOffscreen();
                    var gpu = new SceneCanvasRenderer(gl, ShaderLibrary.FindDefault(), font, DemoScene.Width, DemoScene.Height);
                    return new FrameRenderer(gl, gpu, gpu.CreateCanvas(), $"GPU offscreen: {gl.Renderer}, OpenGL {gl.Version.Split(' ')[0]}");
                }
                catch (GlassboxException e)
                {
                    why = $"OpenGL unavailable ({e.Message})";
                }
            }
            return new FrameRenderer(null, null, new SceneCanvas(DemoScene.Width, DemoScene.Height, font), $"CPU rasteriser: {why}");
        }

        public RgbaImage Render(Scene scene)
        {
            _canvas.Begin();
            scene.Render(_canvas);
            if (_gpu is null)
                return _canvas.RenderOnCpu();
            _gpu.Render(_canvas);
            return _gpu.Target.Read();
        }

        public void Dispose()
        {
            _gpu?.Dispose();
            _gl?.Dispose();
        }
    }
}
