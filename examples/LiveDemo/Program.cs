using System.CommandLine;
using Glassbox;
using Glassbox.Examples;
using Glassbox.Examples.LiveDemo;

// glassbox-demo: the shipped MNIST CNN on real test digits, Grad-CAM from the derived gradient graph,
// the live layout rendered offscreen; screenshots and a report say what it saw.

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
var digitsOption = new Option<int>("--digits") { Description = "How many MNIST test digits to explain.", DefaultValueFactory = _ => 6 };
digitsOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 10000)
        r.AddError("--digits must be from 1 to 10000.");
});
var outOption = new Option<DirectoryInfo>("--out")
{
    Description = "Folder for the screenshots and the report.",
    DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(RepoLayout.Root, "artifacts", "demo")),
};
var cpuRenderOption = new Option<bool>("--cpu-render") { Description = "Render with the CPU references even when a display is available." };
var windowOption = new Option<bool>("--window") { Description = "Open the live window: draw digits with the mouse and watch the network (needs a display)." };
var framesOption = new Option<int>("--frames") { Description = "With --window, close after this many frames (0: when the window is closed).", DefaultValueFactory = _ => 0 };
framesOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() < 0)
        r.AddError("--frames must be 0 (run until closed) or a positive number of frames.");
});

var root = new RootCommand("Glassbox demo: a CNN explains MNIST digits; screenshots of the live layout and a report.")
{
    modelOption, epOption, threadsOption, digitsOption, outOption, cpuRenderOption, windowOption, framesOption,
};
root.SetAction(parse =>
{
    try
    {
        var settings = new DemoSettings(parse.GetValue(modelOption)!, parse.GetValue(epOption)!, parse.GetValue(threadsOption),
            parse.GetValue(digitsOption), parse.GetValue(outOption)!, parse.GetValue(cpuRenderOption));
        return parse.GetValue(windowOption) ? LiveWindow.Run(settings, parse.GetValue(framesOption)) : Demo.Run(settings);
    }
    catch (GlassboxException e)
    {
        Console.Error.WriteLine($"glassbox-demo: {e.Message}");
        return 2;
    }
});
return root.Parse(args).Invoke();
