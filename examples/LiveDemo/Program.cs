using System.CommandLine;
using Glassbox;
using Glassbox.Examples;
using Glassbox.Examples.LiveDemo;

// glassbox-demo: the live demo. With a display, a window: draw a digit and watch the shipped CNN
// predict and explain it. Without one (or with --headless), the same scene fed by a script that draws
// each digit; screenshots and a report say what it saw.

var modelOption = new Option<DirectoryInfo>("--model")
{
    Description = "Model package folder (default: models/mnist-cnn).",
    DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(RepoLayout.Root, "models", "mnist-cnn")),
};
var epOption = new Option<string>("--ep")
{
    Description = "Execution provider: auto (DirectML, WebGPU, CUDA, then CPU) or one of directml, webgpu, cuda, cpu.",
    DefaultValueFactory = _ => "auto",
};
epOption.AcceptOnlyFromAmong("auto", "directml", "dml", "webgpu", "cuda", "cpu");
var threadsOption = new Option<int>("--threads") { Description = "Intra-op threads for ONNX Runtime; 0 lets it choose.", DefaultValueFactory = _ => 0 };
threadsOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 0 or > 1024)
        r.AddError("--threads must be 0 (let ONNX Runtime choose) or from 1 to 1024.");
});
var digitsOption = new Option<int>("--digits") { Description = "Headless: how many digits of the stroke set to draw (0 to 9 in order).", DefaultValueFactory = _ => 10 };
digitsOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 10)
        r.AddError("--digits must be from 1 to 10 (the stroke set has one of each digit).");
});
var outOption = new Option<DirectoryInfo>("--out")
{
    Description = "Folder for the screenshots and the report.",
    DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(RepoLayout.Root, "artifacts", "demo")),
};
var cpuRenderOption = new Option<bool>("--cpu-render") { Description = "Render with the CPU references even when a display is available." };
var windowOption = new Option<bool>("--window") { Description = "Open the live window (the default when there is a display)." };
var sceneOption = new Option<FileInfo?>("--scene") { Description = "A scene file to run instead of the built-in scene (see examples/LiveDemo/scenes)." };
var headlessOption = new Option<bool>("--headless") { Description = "Run the scripted headless demo even with a display (for example under xvfb-run)." };
var framesOption = new Option<int>("--frames") { Description = "With --window, close after this many frames (0: when the window is closed).", DefaultValueFactory = _ => 0 };
framesOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() < 0)
        r.AddError("--frames must be 0 (run until closed) or a positive number of frames.");
});

var kioskOption = new Option<bool>("--kiosk") { Description = "Run as an unattended exhibit: the kiosk scene (unless --scene), fullscreen, the cursor hidden when idle, only the exit chord quits." };
var exitChordOption = new Option<string>("--exit-chord") { Description = "With --kiosk, the keys held together to quit.", DefaultValueFactory = _ => "ctrl+alt+q" };
var recordOption = new Option<FileInfo?>("--record") { Description = "Record the session (drawing, keys, every result) to this .gbrec file; check it later with: replay FILE --verify." };

var root = new RootCommand("Glassbox demo: a CNN explains MNIST digits; screenshots of the live layout and a report.")
{
    modelOption, epOption, threadsOption, digitsOption, outOption, cpuRenderOption, windowOption, headlessOption, framesOption, sceneOption, recordOption, kioskOption, exitChordOption,
};
root.SetAction(parse =>
{
    try
    {
        var settings = new DemoSettings(parse.GetValue(modelOption)!, parse.GetValue(epOption)!, parse.GetValue(threadsOption),
            parse.GetValue(digitsOption), parse.GetValue(outOption)!, parse.GetValue(cpuRenderOption), parse.GetValue(sceneOption), parse.GetValue(recordOption));
        if (parse.GetValue(windowOption) && parse.GetValue(headlessOption))
            throw new GlassboxException("--window and --headless exclude each other; give one.");
        bool display = Glassbox.Graphics.GlContext.DisplayAvailable;
        if (parse.GetValue(kioskOption))
        {
            if (!display || parse.GetValue(headlessOption))
                throw new GlassboxException("--kiosk runs the exhibit in a fullscreen window, and there is no display here (or --headless was given). Run it on the exhibit's screen.");
            var exitChord = KeyChord.Parse(parse.GetValue(exitChordOption)!);
            settings = settings with { SceneFile = settings.SceneFile ?? new FileInfo(Path.Combine(RepoLayout.Root, "examples", "LiveDemo", "scenes", "kiosk.json")) };
            return LiveWindow.Run(settings, parse.GetValue(framesOption), exitChord);
        }
        if (parse.GetValue(windowOption) || display && !parse.GetValue(headlessOption))
            return LiveWindow.Run(settings, parse.GetValue(framesOption));
        if (!display && !parse.GetValue(headlessOption))
            Console.WriteLine("No display: running the headless demo (a script draws each digit on the canvas). Use --window where there is a display.");
        return HeadlessDemo.Run(settings);
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"glassbox-demo: {e.Message}");
        return 2;
    }
});
root.Subcommands.Add(ReplayCommand.Create());
return root.Parse(args).Invoke();
