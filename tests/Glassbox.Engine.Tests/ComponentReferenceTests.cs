using Glassbox.Engine;
using Glassbox.Media;

namespace Glassbox.Tests;

/// <summary>A component reads the component it names; it never picks "the first" of a type.</summary>
public class ComponentReferenceTests
{
    private static string Model => Path.Combine(RepoPaths.Root, "models", "mnist-cnn").Replace("\\", "/");

    private static string TwoInferences(string barsFields) => $$"""
        { "scene": "two",
          "entities": [
            { "name": "Bars", "components": [ { "type": "ProbabilityBars"{{barsFields}} } ] },
            { "name": "Digits", "components": [ { "type": "CnnInference", "model": "{{Model}}", "ep": "cpu", "threads": 1 } ] },
            { "name": "Panel", "children": [
              { "name": "Second", "components": [ { "type": "CnnInference", "model": "{{Model}}", "ep": "cpu", "threads": 1 } ] } ] } ] }
        """;

    [Test]
    public void A_scene_file_names_the_inference_an_overlay_reads_by_its_entity_even_one_further_down()
    {
        using var scene = SceneFile.Parse(TwoInferences(", \"inference\": \"Panel/Second\""), ComponentRegistry.Default, "two.json");

        var bars = scene.Find("Bars")!.Get<ProbabilityBars>()!;
        Assert.That(bars.Inference, Is.SameAs(scene.Find("Panel/Second")!.Get<CnnInference>()));
    }

    [Test]
    public void Naming_an_entity_that_is_not_there_or_holds_no_such_component_is_an_error_with_the_field_path()
    {
        var missing = Assert.Throws<SceneFileException>(() => SceneFile.Parse(TwoInferences(", \"inference\": \"Panel/Thrid\""), ComponentRegistry.Default, "two.json"));
        Assert.That(missing!.Message, Is.EqualTo("two.json: $.entities[0].components[0].inference: no entity 'Panel/Thrid' (entity paths are names joined by '/', such as \"Input\" or \"Panel/Bars\")."));

        var wrong = Assert.Throws<SceneFileException>(() => SceneFile.Parse(TwoInferences(", \"inference\": \"Bars\""), ComponentRegistry.Default, "two.json"));
        Assert.That(wrong!.Message, Is.EqualTo("two.json: $.entities[0].components[0].inference: entity 'Bars' holds no CnnInference."));
    }

    [Test]
    public void With_two_inferences_and_none_named_the_scene_says_which_to_name_once_and_the_overlay_reads_nothing()
    {
        using var scene = SceneFile.Parse(TwoInferences(""), ComponentRegistry.Default, "two.json");
        var errors = new List<SceneError>();
        scene.Error += errors.Add;

        for (long frame = 1; frame <= 3; frame++)
            scene.Update(new FrameTime(frame, TimeSpan.FromTicks(frame), TimeSpan.FromTicks(1)));
        scene.Render(new Glassbox.Visualisation.NullRenderer());

        Assert.That(errors.Select(e => e.Exception.Message), Is.EqualTo(new[]
        {
            "ProbabilityBars on Bars reads a CnnInference and the scene has several ('Digits', 'Panel/Second'); name the one to read: \"inference\": \"ENTITY\" in the scene file, or its Inference property in code.",
        }));
    }

    [Test]
    public void With_one_inference_and_none_named_a_component_reads_that_one()
    {
        using var scene = new Scene("one");
        var inference = scene.CreateEntity("Input").Add(new CnnInference { Model = Model, Ep = "cpu", Threads = 1 });
        var canvas = scene.CreateEntity("Canvas").Add(new DrawingCanvasInput());
        canvas.AddStroke([new StrokePoint(140, 40), new StrokePoint(140, 240)]);
        long frame = 0;
        Await.Until(() => inference.Latest is not null, "the only inference's result", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(16))));
        Assert.That(canvas.LastSequence, Is.EqualTo(inference.Latest!.Sequence), "the canvas submitted to the scene's only inference");
    }
}
