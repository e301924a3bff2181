namespace Glassbox.Tests;

public class TensorShapeTests
{
    [Test]
    public void Known_shape_counts_elements_and_prints_readably()
    {
        var shape = TensorShape.Of(1, 3, 224, 224);
        Assert.That(shape.ElementCount, Is.EqualTo(150528));
        Assert.That(shape.ToString(), Is.EqualTo("1×3×224×224"));
        Assert.That(TensorShape.Of().ToString(), Is.EqualTo("scalar"));
        Assert.That(TensorShape.Of().ElementCount, Is.EqualTo(1));
    }

    [Test]
    public void Dynamic_dimensions_print_their_symbol_and_resolve_by_name()
    {
        var shape = new TensorShape([TensorShape.Dynamic, 10], ["batch", null]);
        Assert.That(shape.IsFullyKnown, Is.False);
        Assert.That(shape.ToString(), Is.EqualTo("batch×10"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => _ = shape.ElementCount)!.Message, Does.Contain("dynamic dimensions"));

        var resolved = shape.WithDynamicDimensions(new Dictionary<string, long> { ["batch"] = 8 });
        Assert.That(resolved, Is.EqualTo(TensorShape.Of(8, 10)));
        Assert.That(resolved.ElementCount, Is.EqualTo(80));
    }

    [Test]
    public void Invalid_dimensions_are_refused_with_how_to_fix()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => TensorShape.Of(1, -5))!.Message, Does.Contain("TensorShape.Dynamic (-1)"));
        Assert.That(Assert.Throws<ArgumentException>(() => new TensorShape([1, 2], ["a"]))!.Message, Does.Contain("one per dimension"));
    }

    [Test]
    public void Element_types_round_trip_through_onnx_codes()
    {
        foreach (var type in Enum.GetValues<TensorElementType>().Where(t => t != TensorElementType.Unknown))
            Assert.That(TensorElementTypeExtensions.FromOnnxDataType(type.ToOnnxDataType()), Is.EqualTo(type));
        Assert.That(TensorElementType.Float32.ToOnnxDataType(), Is.EqualTo(1));
        Assert.That(TensorElementType.Int64.ToOnnxDataType(), Is.EqualTo(7));
        Assert.That(TensorElementTypeExtensions.FromOnnxDataType(14), Is.EqualTo(TensorElementType.Unknown), "complex64 has no Glassbox type");
    }
}
