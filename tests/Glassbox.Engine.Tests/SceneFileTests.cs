using Glassbox.Engine;

namespace Glassbox.Tests;

public class SceneFileTests
{
    public enum Fusion { Mean, Max }

    private sealed class Overlay : Component
    {
        [RequiredField]
        public string Method { get; set; } = "";
        public float Opacity { get; set; } = 0.5f;
        public int Smoothing { get; set; }
        public bool Contour { get; set; }
        public Fusion Fusion { get; set; }
        public string[] Taps { get; set; } = [];
        public float[] Levels { get; set; } = [];
        public uint Tint { get; set; }
    }

    private static ComponentRegistry Registry => ComponentRegistry.Default.Register<Overlay>();

    private const string Good = """
        {
          "scene": "demo",
          // comments are allowed
          "entities": [
            { "name": "View", "components": [
                { "type": "Overlay", "method": "grad-cam", "opacity": 0.4, "smoothing": 3, "contour": true, "fusion": "max",
                  "taps": ["relu2", "relu4"], "levels": [0.25, 0.5], "tint": "#FF8000" } ],
              "children": [ { "name": "Caption", "active": false, "components": [ { "type": "Label", "text": "hello", "x": 5, "color": "#00FF0080" } ] } ] }
          ]
        }
        """;

    [Test]
    public void A_scene_file_builds_entities_and_components_with_their_fields()
    {
        using var scene = SceneFile.Parse(Good, Registry, "demo.json");
        Assert.That(scene.Name, Is.EqualTo("demo"));
        var overlay = scene.Find("View")!.Get<Overlay>()!;
        Assert.That((overlay.Method, overlay.Opacity, overlay.Smoothing, overlay.Contour, overlay.Fusion), Is.EqualTo(("grad-cam", 0.4f, 3, true, Fusion.Max)));
        Assert.That(overlay.Taps, Is.EqualTo(new[] { "relu2", "relu4" }));
        Assert.That(overlay.Levels, Is.EqualTo(new[] { 0.25f, 0.5f }));
        Assert.That(overlay.Tint, Is.EqualTo(0xFF0080FFu));
        var caption = scene.Find("View/Caption")!;
        Assert.That(caption.Active, Is.False);
        Assert.That(caption.Get<Label>()!.Color, Is.EqualTo(0x8000FF00u));
    }

    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Lable" } ] } ] }""",
        "s.json: $.entities[0].components[0].type: unknown component 'Lable'; components: AttentionOverlay, AttractLoop, AttributionOverlay, Button, CameraFeed, ChannelInspector, CnnInference, DrawingCanvas, FeatureMapGrid, HealthFile, ImageFeed, Label, Log, NetworkView, Overlay, ProbabilityBars, Recorder, Replay, StatsPanel, VideoFeed.")]
    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Overlay", "method": "x", "opacty": 1 } ] } ] }""",
        "s.json: $.entities[0].components[0].opacty: unknown field 'opacty' of Overlay; its fields: contour, enabled, fusion, levels, method, opacity, smoothing, taps, tint.")]
    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Overlay", "method": "x", "opacity": "high" } ] } ] }""",
        "s.json: $.entities[0].components[0].opacity: expected a number, got the string \"high\".")]
    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Overlay", "method": "x", "smoothing": 2.5 } ] } ] }""",
        "s.json: $.entities[0].components[0].smoothing: expected a whole number, got the number 2.5.")]
    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Overlay", "opacity": 1 } ] } ] }""",
        "s.json: $.entities[0].components[0]: Overlay needs field 'method'.")]
    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Overlay", "method": "x", "fusion": "median" } ] } ] }""",
        "s.json: $.entities[0].components[0].fusion: 'median' is not one of mean, max.")]
    [TestCase("""{ "entities": [ { "name": "A", "children": [ { "name": "B", "components": [ { "type": "Overlay", "method": "x", "levels": [0.1, "a"] } ] } ] } ] }""",
        "s.json: $.entities[0].children[0].components[0].levels[1]: expected a number, got the string \"a\".")]
    [TestCase("""{ "entities": [ { "name": "A" }, { "name": "A" } ] }""",
        "s.json: $.entities[1].name: 'A' already exists; sibling entities need different names..")]
    [TestCase("""{ "entities": [ { "components": [] } ] }""", "s.json: $.entities[0]: missing field 'name'.")]
    [TestCase("""{ "entities": [ { "name": "A", "visible": true } ] }""",
        "s.json: $.entities[0].visible: unknown field 'visible' of an entity; its fields: name, active, components, children.")]
    [TestCase("""{ "entities": { "name": "A" } }""", "s.json: $.entities: expected a list of entities, got an object.")]
    [TestCase("""{ "entities": [ { "name": "A", "components": [ { "type": "Label", "color": "green" } ] } ] }""",
        "s.json: $.entities[0].components[0].color: expected a colour \"#RRGGBB\" or \"#RRGGBBAA\", got the string \"green\".")]
    public void Every_mistake_names_the_path_to_the_field(string json, string message)
    {
        var e = Assert.Throws<SceneFileException>(() => SceneFile.Parse(json, Registry, "s.json"))!;
        Assert.That(e.Message, Is.EqualTo(message));
    }

    [Test]
    public void Broken_json_and_missing_files_say_so()
    {
        Assert.That(Assert.Throws<SceneFileException>(() => SceneFile.Parse("{ \"entities\": [", Registry, "s.json"))!.Message, Does.StartWith("s.json: not valid JSON ("));
        Assert.That(Assert.Throws<SceneFileException>(() => SceneFile.Load("/nonexistent/scene.json", Registry))!.Message,
            Is.EqualTo("Scene file '/nonexistent/scene.json' does not exist. Check the path."));
    }

    [Test]
    public void Deep_nesting_is_refused_before_it_can_exhaust_the_stack()
    {
        string json = "{ \"entities\": " + string.Concat(Enumerable.Range(0, 40).Select(i => $"[{{ \"name\": \"e{i}\", \"children\": ")) + "[]" + string.Concat(Enumerable.Repeat("}]", 40)) + " }";
        var e = Assert.Throws<SceneFileException>(() => SceneFile.Parse(json, Registry, "s.json"))!;
        Assert.That(e.Message, Does.Contain($"nest deeper than {SceneFile.MaxDepth} levels").Or.Contain("not valid JSON"));
    }
}
