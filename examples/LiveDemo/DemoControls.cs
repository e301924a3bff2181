using Glassbox.Engine;

namespace Glassbox.Examples.LiveDemo;

/// <summary>
/// The live demo's controls (an example of a component an application adds to Glassbox's), as keys and on-screen buttons: M cycles the explanation method, L the
/// layer (the CAM layer and the feature grid together), V the model, O shows or hides the overlay,
/// S switches the input between the drawing canvas and the live feed, C clears the canvas, N shows the whole network (the
/// scene's NetworkView and ChannelInspector in place of its feature grid and probability bars) or hides it. Works on the scene's first
/// CnnInference, AttributionOverlay, FeatureMapGrid, DrawingCanvas and feed.
/// </summary>
public sealed class DemoControls : Component, IKeyHandler
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    private int _method, _layer, _model;

    /// <summary>Model packages to switch between.</summary>
    public string[] Models { get; set; } = [];

    /// <summary>Methods to cycle through for convolutional models.</summary>
    public string[] Methods { get; set; } = ["grad-cam", "grad-cam++", "layer-cam", "score-cam", "gradient-x-input", "guided-grad-cam", "lrp", "rise:masks=200"];

    /// <summary>Methods to cycle through for models with attention (the first is used on switching to one).</summary>
    public string[] AttentionMethods { get; set; } = ["attention-rollout", "lrp:composite=epsilon", "grad-cam", "gradient-x-input", "rise:masks=200"];

    /// <summary>What the controls show now (model, method, layer, source), drawn at X, Y.</summary>
    public string Summary { get; private set; } = "";

    public int X { get; set; } = 40;

    public int Y { get; set; } = 50;

    public bool OnKey(char key)
    {
        var inference = Referenced(Inference, "inference");
        switch (key)
        {
            case 'm' when inference is not null:
                var methods = MethodsFor(inference);
                _method = (_method + 1) % methods.Length;
                inference.Reconfigure(methods: [methods[_method]]);
                break;
            case 'l' when inference?.Package is { } package:
                var layers = package.Model.Layers().Where(l => l.IsSpatial && l.Shape![1] > 1).Select(l => l.Output).ToList();
                if (layers.Count == 0)
                    return true;
                _layer = (_layer + 1) % layers.Count;
                foreach (var grid in Scene.Active<FeatureMapGrid>())
                    grid.Layer = layers[_layer];
                inference.Reconfigure(layer: layers[_layer]);
                break;
            case 'v' when inference is not null && Models.Length > 1:
                _model = (_model + 1) % Models.Length;
                _method = 0;
                _layer = -1;
                inference.Reconfigure(model: Models[_model], methods: [Methods[0]], layer: "auto");
                _switchingModel = true;
                break;
            case 'p' when inference is not null:
                inference.Paused = !inference.Paused;
                break;
            case 'o':
                foreach (var overlay in Scene.Entities().SelectMany(e => e.Components).OfType<AttributionOverlay>())
                    overlay.Enabled = !overlay.Enabled;
                break;
            case 'n':
            {
                var views = Scene.Entities().SelectMany(e => e.Components).OfType<NetworkView>().ToList();
                if (views.Count == 0)
                    return true;
                bool show = !views[0].Enabled;
                foreach (var view in Scene.Entities().SelectMany(e => e.Components).Where(c => c is NetworkView or ChannelInspector))
                    view.Enabled = show;
                foreach (var hidden in Scene.Entities().SelectMany(e => e.Components).Where(c => c is FeatureMapGrid or ProbabilityBars))
                    hidden.Enabled = !show;
                break;
            }
            case 's':
                var canvas = Scene.Entities().SelectMany(e => e.Components).OfType<DrawingCanvasInput>().FirstOrDefault();
                var feed = Scene.Entities().SelectMany(e => e.Components).OfType<FrameFeed>().FirstOrDefault();
                if (canvas is null || feed is null)
                    return true;
                canvas.Enabled = !canvas.Enabled;
                feed.Enabled = !canvas.Enabled;
                break;
            default:
                return false;
        }
        return true;
    }

    private bool _switchingModel;

    protected override void Update(FrameTime time)
    {
        var inference = Referenced(Inference, "inference");
        if (inference is null)
            return;
        // Once a new model has loaded: its first method, and the grid on its own first spatial layer.
        if (_switchingModel && !inference.Reconfiguring && inference.Package is { } package)
        {
            _switchingModel = false;
            var first = package.Model.Layers().FirstOrDefault(l => l.IsSpatial && l.Shape![1] > 1)?.Output;
            foreach (var grid in Scene.Active<FeatureMapGrid>())
                grid.Layer = first ?? grid.Layer;
            inference.Reconfigure(methods: [MethodsFor(inference)[0]]);
        }
        bool canvas = Scene.Active<DrawingCanvasInput>().Any();
        // Made again only when something it says changes: this runs every frame.
        var shown = (inference.Package, inference.Model, inference.Methods, inference.Layer, canvas, inference.Reconfiguring, inference.Paused);
        if (shown == _shown)
            return;
        _shown = shown;
        Summary = $"{inference.Package?.Name ?? inference.Model} · {string.Join(", ", inference.Methods)} · layer {inference.Layer} · {(canvas ? "canvas" : "live feed")}" +
                  $"{(inference.Reconfiguring ? " · loading…" : "")}{(inference.Paused ? " · paused (P resumes)" : "")}";
    }

    private (Glassbox.Inference.ModelPackage?, string, string[], string, bool, bool, bool)? _shown;

    protected override void Render(Glassbox.Visualisation.IRenderer renderer)
    {
        if (Summary.Length > 0)
            renderer.DrawText(Summary, X, Y, 0xFFC8C8C8u);
    }

    private string[] MethodsFor(CnnInference inference) =>
        inference.Package?.Model.Layers().Any(l => l.OpType == "Softmax" && l.Shape is { Rank: 4 }) == true ? AttentionMethods : Methods;
}
