using Glassbox.Explain;
using System.Diagnostics;
using System.Globalization;
using Glassbox.Engine.Live;
using Glassbox.Inference;
using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>A still image file as the input: read once (PNG, JPEG, BMP, GIF), shown, and submitted to the model.</summary>
public sealed class ImageFeed : Component
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    [RequiredField]
    public string Path { get; set; } = "";

    public int X { get; set; } = 20;

    public int Y { get; set; } = 20;

    public int DisplayWidth { get; set; } = 320;

    public int DisplayHeight { get; set; } = 240;

    /// <summary>Read the image as a digit on paper (for 28×28 one-channel models); false to resize it as the package says.</summary>
    public bool Digit { get; set; } = true;

    public RgbaImage? Image { get; private set; }

    private bool _submitted;

    protected internal override void Awake() => Image = ImageFile.Load(Scene.ResolvePath(Path));

    protected internal override void OnEnable() => _submitted = false;

    protected internal override void Update(FrameTime time)
    {
        if (_submitted || Image is null || Referenced(Inference, "inference") is not { Package: { } package } inference)
            return;
        var p = package.Preprocessing;
        var tensor = new float[p.Channels * p.Height * p.Width];
        if (Digit && p.Channels == 1 && p.Height == 28 && p.Width == 28)
            p.NormaliseGray(PaperDigit.ToMnist(Image), tensor);
        else
            ImageToTensor.Run(Image, p.ToImageOptions(), tensor);
        inference.Submit(tensor, Scene.Now, TimeSpan.Zero);
        _submitted = true;
    }

    protected internal override void Render(IRenderer renderer)
    {
        if (Image is not null)
            renderer.DrawImage(Image, X, Y, DisplayWidth, DisplayHeight);
    }
}
