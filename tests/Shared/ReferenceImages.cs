using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>
/// Reference-image assertions. References live in tests/fixtures/reference-images; when one is
/// missing or differs, the actual image is written under artifacts/test-images/actual (git-ignored)
/// and the failure message gives the command that promotes it.
/// </summary>
internal static class ReferenceImages
{
    public static string ReferencePath(string name) => RepoPaths.Fixture("reference-images", name + ".png");

    public static string ActualPath(string name) => Path.Combine(RepoPaths.Root, "artifacts", "test-images", "actual", name + ".png");

    public static void AssertMatches(RgbaImage actual, string name, ImageComparer? comparer = null)
    {
        comparer ??= ImageComparer.Default;
        string reference = ReferencePath(name);
        if (!File.Exists(reference))
        {
            ImageFile.Save(ActualPath(name), actual);
            Assert.Fail($"No reference image '{name}'. The actual image is at {ActualPath(name)}; look at it, and if it is right promote it:\n" +
                        $"  cp '{ActualPath(name)}' '{reference}'");
        }
        var expected = ImageFile.Load(reference);
        if (expected.Width != actual.Width || expected.Height != actual.Height)
        {
            ImageFile.Save(ActualPath(name), actual);
            Assert.Fail($"'{name}' is {actual.Width}×{actual.Height}, its reference {expected.Width}×{expected.Height}. The actual image is at {ActualPath(name)}; if the change is intended, promote it:\n" +
                        $"  cp '{ActualPath(name)}' '{reference}'");
        }
        var comparison = comparer.Compare(expected, actual);
        TestContext.Out.WriteLine($"{name}: {comparison}");
        if (!comparer.Matches(comparison))
        {
            ImageFile.Save(ActualPath(name), actual);
            Assert.Fail($"'{name}' differs from its reference: {comparison}. The actual image is at {ActualPath(name)}; if the change is intended, promote it:\n" +
                        $"  cp '{ActualPath(name)}' '{reference}'");
        }
    }
}
