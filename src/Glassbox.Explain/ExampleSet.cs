using System.Text;
using Glassbox.Data;
using Glassbox.Inference;
using Glassbox.Media;

namespace Glassbox.Explain;

/// <summary>
/// A dataset to find channels' top examples in (and to start feature visualisation from its mean level): how many
/// inputs, how to write input <c>i</c> as the model takes it, how to show it, and a hash of its contents (part of every
/// cache key, so a changed dataset is never read from another's entry).
/// </summary>
/// <param name="Description">What it is, in a phrase ("the first 10000 MNIST test digits").</param>
/// <param name="Picture">Input <c>i</c> as a picture, at the model's input size.</param>
/// <param name="BlackLevel">The model's input value of a black pixel, per channel (where feature visualisation's pixels start from).</param>
/// <param name="WhiteLevel">The model's input value of a white pixel, per channel.</param>
/// <param name="MeanPixel">The dataset's mean pixel, 0–1.</param>
public sealed record ExampleSet(string Description, int Count, DatasetFill Fill, Func<int, RgbaImage> Picture, string Hash,
                                float[] BlackLevel, float[] WhiteLevel, float MeanPixel)
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif"];

    /// <summary>Whether a file's name says it is a picture an example folder may hold.</summary>
    public static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>The first <paramref name="count"/> digits of an MNIST IDX image file, prepared as the package says.</summary>
    public static ExampleSet Mnist(ModelPreprocessing preprocessing, int count, string path)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        var images = IdxFile.ReadImages(path);
        count = Math.Clamp(count, 1, images.Count);
        if (preprocessing.Channels != 1 || preprocessing.Width != images.Columns || preprocessing.Height != images.Rows)
            throw new GlassboxException($"MNIST examples need a model of 1×{images.Rows}×{images.Columns} inputs; this one takes {preprocessing.Channels}×{preprocessing.Height}×{preprocessing.Width}. Give a folder of images instead.");
        var used = images.Pixels.AsSpan(0, count * images.Rows * images.Columns);
        double sum = 0;
        foreach (byte b in used)
            sum += b;
        return new ExampleSet($"the first {count} MNIST test digits", count, (i, destination) => preprocessing.NormaliseGray(images.Image(i), destination), i =>
        {
            var picture = new RgbaImage(images.Columns, images.Rows);
            var pixels = images.Image(i);
            for (int p = 0; p < pixels.Length; p++)
                picture.Pixels[p] = RgbaImage.Pack(pixels[p], pixels[p], pixels[p]);
            return picture;
        }, Sha256Hex.Of(used), [.. Explainer.BlackLevelOf(preprocessing)], [.. Explainer.WhiteLevelOf(preprocessing)], (float)(sum / used.Length / 255));
    }

    /// <summary>The images of a folder (PNG, JPEG, BMP, GIF), in name order, prepared as the package says; unreadable files are named on <paramref name="log"/> and skipped.</summary>
    public static ExampleSet Folder(ModelPreprocessing preprocessing, string folder, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(log);
        if (!Directory.Exists(folder))
            throw new GlassboxException($"Examples folder '{folder}' does not exist; give a folder of images.");
        var pictures = new List<RgbaImage>();
        var hash = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(folder).Where(IsImage).OrderBy(f => f, StringComparer.Ordinal))
        {
            try
            {
                pictures.Add(ImageFile.Load(file));
                hash.Append(Sha256Hex.Of(File.ReadAllBytes(file)));
            }
            catch (GlassboxException e)
            {
                log.WriteLine($"Skipped  {file}: {e.Message}");
            }
        }
        if (pictures.Count == 0)
            throw new GlassboxException($"Examples folder '{folder}' has no readable images (PNG, JPEG, BMP, GIF).");
        var options = preprocessing.ToImageOptions(drawing: preprocessing.InvertDrawings);
        double mean = pictures.Average(p => p.Pixels.Average(v => ((v & 0xFF) + (v >> 8 & 0xFF) + (v >> 16 & 0xFF)) / 3.0)) / 255;
        return new ExampleSet($"{pictures.Count} images of {folder}", pictures.Count, (i, destination) => ImageToTensor.Run(pictures[i], options, destination),
            i => pictures[i], Sha256Hex.Of(Encoding.UTF8.GetBytes(hash.ToString())), [.. Explainer.BlackLevelOf(preprocessing)], [.. Explainer.WhiteLevelOf(preprocessing)], (float)mean);
    }
}
