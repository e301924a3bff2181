using Glassbox.Engine;
using Glassbox.Explain;

namespace Glassbox.Tests;

/// <summary>A box dragged over a live feed becomes a region of the model's input: display → frame → tensor pixels.</summary>
public class TargetBoxTests
{
    [Test]
    public void A_drag_on_a_stretched_feed_maps_onto_the_model_input_in_proportion()
    {
        // A 640×480 frame shown at 320×240 from (20, 40), prepared by stretching to 128×96.
        var options = new ImageToTensorOptions { Width = 128, Height = 96, Resize = ResizeMode.Stretch };
        var box = FrameFeed.ToModelBox((20, 40, 320, 240), (640, 480), options, (60, 100, 180, 160));
        // Display x 60 → 40/320 of the width → 16 of 128; y 100 → 60/240 → 24 of 96.
        Assert.That(box, Is.EqualTo(new PixelBox(16, 24, 64, 48)));
    }

    [Test]
    public void A_drag_on_a_centre_cropped_feed_lands_where_the_crop_puts_those_pixels_and_is_clamped_to_the_input()
    {
        // 640×480 centre-cropped to 96×96: scale 0.2, the frame's columns 80–560 fill the width.
        var options = new ImageToTensorOptions { Width = 96, Height = 96, Resize = ResizeMode.CentreCrop };
        var box = FrameFeed.ToModelBox((0, 0, 640, 480), (640, 480), options, (0, 0, 320, 240));
        Assert.That(box, Is.EqualTo(new PixelBox(0, 0, 48, 48)), "from the left edge, cut off by the crop, to the middle");
        Assert.That(FrameFeed.ToModelBox((0, 0, 640, 480), (640, 480), options, (300, 200, 301, 260)), Is.Null, "a click is not a box");
    }

    [Test]
    public void The_mapping_agrees_with_where_preprocessing_puts_a_pixel()
    {
        var image = new RgbaImage(64, 48);
        image[40, 12] = RgbaImage.Pack(255, 255, 255);
        foreach (var resize in new[] { ResizeMode.Stretch, ResizeMode.CentreCrop, ResizeMode.Letterbox })
        {
            var options = new ImageToTensorOptions { Width = 32, Height = 32, Resize = resize };
            var tensor = new float[3 * 32 * 32];
            ImageToTensor.Run(image, options, tensor);
            int brightest = Enumerable.Range(0, 32 * 32).MaxBy(i => tensor[i]);
            // Pixel centres: the pixel at (40, 12) covers 40..41 × 12..13 of the frame.
            var (x, y) = ImageToTensor.MapPoint(64, 48, options, 40.5, 12.5);
            Assert.That(((int)Math.Floor(x), (int)Math.Floor(y)), Is.EqualTo((brightest % 32, brightest / 32)), resize.ToString());
        }
    }
}

/// <summary>The drag on a live feed, end to end: videotestsrc into a segmentation-like model, a box dragged over the picture, the explanation of that box.</summary>
public class LiveTargetBoxTests
{
    private string _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("glassbox-box-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Dragging_a_box_over_the_feed_explains_that_region_of_the_map()
    {
        // A 1×1 convolution, 3 → 2 channels, at 64×48: each map pixel reads only the input pixel under it,
        // so the gradient of a box's score is non-zero inside the box and zero outside.
        string model = Path.Combine(_folder, "pixelwise.onnx");
        File.WriteAllBytes(model, PixelwiseModel(64, 48));
        using var scene = new Scene("box", new SceneServices(TimeProvider.System, Glassbox.Media.GStreamerSources.Instance));
        var entity = scene.CreateEntity("Feed");
        var feed = entity.Add(new VideoFeed { Pattern = "smpte", Width = 320, Height = 240, Fps = 60, X = 0, Y = 0, DisplayWidth = 320, DisplayHeight = 240 });
        var inference = entity.Add(new CnnInference { Model = model, Ep = "cpu", Threads = 1, Methods = ["gradient"] });
        long frame = 0;
        void RunUntil(Func<bool> done) =>
            Await.Until(done, "the box's result", () => scene.Update(new FrameTime(++frame, scene.Now, TimeSpan.FromMilliseconds(4))));
        RunUntil(() => inference.Latest is not null && feed.Current is not null);
        Assert.That(inference.ExplainsRegions, Is.True);

        Assert.That(feed.BeginTargetBox(80, 60), Is.True);
        feed.DragTargetBox(160, 120);
        string? target = feed.EndTargetBox();

        // 320×240 shown at 320×240, stretched to 64×48: a fifth of each coordinate.
        Assert.That(target, Is.EqualTo("box:16,12,32,24"));
        RunUntil(() => inference.Settings?.Target == target && inference.Latest is not null);
        var map = inference.Latest!.Explanation.Maps[0];
        Assert.That((map.Width, map.Height), Is.EqualTo((64, 48)));
        for (int y = 0; y < 48; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                bool inside = x >= 16 && x < 32 && y >= 12 && y < 24;
                Assert.That(map.Values[y * 64 + x] != 0f, Is.EqualTo(inside), $"gradient at ({x}, {y})");
            }
        }
        Assert.That(feed.TargetBox, Is.EqualTo((80f, 60f, 160f, 120f)), "the box stays drawn over the feed");
    }

    private static byte[] PixelwiseModel(int width, int height)
    {
        var graph = new Glassbox.Onnx.Protos.GraphProto { Name = "pixelwise" };
        graph.Input.Add(Info("input", 1, 3, height, width));
        graph.Output.Add(Info("map", 1, 2, height, width));
        var weights = new Glassbox.Onnx.Protos.TensorProto { Name = "W", DataType = 1, Dims = { 2, 3, 1, 1 } };
        weights.FloatData.AddRange([0.5f, -0.25f, 0.75f, -0.5f, 1f, 0.25f]);
        graph.Initializer.Add(weights);
        graph.Node.Add(new Glassbox.Onnx.Protos.NodeProto { OpType = "Conv", Name = "classify", Input = { "input", "W" }, Output = { "map" } });
        var proto = new Glassbox.Onnx.Protos.ModelProto
        {
            IrVersion = 8, ProducerName = "glassbox-tests", Graph = graph,
            OpsetImport = { new Glassbox.Onnx.Protos.OperatorSetIdProto { Domain = "", Version = 17 } },
        };
        proto.MetadataProps.Add(new Glassbox.Onnx.Protos.StringStringEntryProto { Key = "glassbox.labels", Value = "[\"ground\", \"sky\"]" });
        proto.MetadataProps.Add(new Glassbox.Onnx.Protos.StringStringEntryProto
        {
            Key = "glassbox.preprocessing",
            Value = $"{{\"layout\": \"NCHW\", \"channels\": 3, \"height\": {height}, \"width\": {width}, \"mean\": [0.5], \"std\": [0.25]}}",
        });
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    private static Glassbox.Onnx.Protos.ValueInfoProto Info(string name, params long[] dims)
    {
        var shape = new Glassbox.Onnx.Protos.TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(new Glassbox.Onnx.Protos.TensorShapeProto.Types.Dimension { DimValue = d });
        return new Glassbox.Onnx.Protos.ValueInfoProto { Name = name, Type = new Glassbox.Onnx.Protos.TypeProto { TensorType = new Glassbox.Onnx.Protos.TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
