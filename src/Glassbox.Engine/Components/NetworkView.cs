using Glassbox.Engine.Live;
using Glassbox.Onnx;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// The whole network for the current input, from the latest result of the scene's <see cref="CnnInference"/> (which taps
/// every layer for it): one column per feature map in graph order (convolutions, activations, pools), each with its
/// channels as an atlas (per-channel normalised, colormapped), its name, op, shape and parameter count, links between
/// the columns, and the predicted class with its probability at the end. A layer with more channels than
/// <see cref="MaxChannelsPerLayer"/> shows one page of them and says which; a column too small for its atlas draws it
/// at lower resolution. A model with more layers than fit at <see cref="MinColumnWidth"/> shows a page of columns,
/// says which layers of how many, and pages with the "&lt;" and "&gt;" buttons under them (<see cref="ColumnPage"/>).
/// The pointer over a channel outlines it; a press selects it (<see cref="Selected"/>), which the view names under the columns. Laid out once per model; each result refills the atlases, and a frame allocates nothing.
/// </summary>
public sealed class NetworkView : Component, IPointerHandler
{
    /// <summary>The inference this reads: set in code, or in a scene file by the entity holding it ("inference": "Input"); unset, the scene's only one.</summary>
    public CnnInference? Inference { get; set; }

    // Four caption lines above the columns (name, op and parameters, channels, grid); a line under them for the
    // selection and the page buttons; the class at the right.
    private const int CaptionHeight = 68, FooterHeight = 20, ClassColumn = 64;

    private InferenceResult? _shown;
    private OnnxModel? _layoutFor;
    private int _pageFor = -1, _maxFor = -1, _gapFor = -1, _columnPageFor = -1, _minWidthFor = -1;
    private int _columnPages = 1;
    private string _columnPageCaption = "";
    private const int PageButton = 24;
    private Column[] _columns = [];
    private string[] _classLabels = [];
    private string _selectedCaption = "";
    private int _predicted = -1;
    private float _probability;

    public int X { get; set; } = 20;

    public int Y { get; set; } = 330;

    public int Width { get; set; } = 1240;

    public int Height { get; set; } = 370;

    public ColormapKind Colormap { get; set; } = ColormapKind.Viridis;

    /// <summary>Pixels between columns.</summary>
    public int Gap { get; set; } = 14;

    /// <summary>Channels shown per layer at most (0 for all); a larger layer is paged.</summary>
    public int MaxChannelsPerLayer { get; set; } = 64;

    /// <summary>Which page of a paged layer's channels is shown (from 0; past the last shows the last).</summary>
    public int Page { get; set; }

    /// <summary>The narrowest a column gets (room for its caption); a model with more layers than fit is shown a page of columns at a time.</summary>
    public int MinColumnWidth { get; set; } = 42;

    /// <summary>Which page of columns is shown when the layers do not all fit (from 0; past the last shows the last).</summary>
    public int ColumnPage { get; set; }

    /// <summary>Pages of columns for the current model (1 when every layer fits).</summary>
    public int ColumnPages => _columnPages;

    /// <summary>The channel under the pointer, as (layer, channel); null when the pointer is over none.</summary>
    public (string Layer, int Channel)? Hovered { get; private set; }

    /// <summary>The channel last pressed, as (layer, channel); null before any.</summary>
    public (string Layer, int Channel)? Selected { get; private set; }

    public bool OnPointerDown(float x, float y)
    {
        if (_columnPages > 1 && y >= Y + Height - 16 && y < Y + Height)
        {
            // The page buttons: "<" then ">" at the right end of the line under the columns.
            float right = X + Width - ClassColumn;
            if (x >= right - 2 * PageButton - 4 && x < right - PageButton - 4)
            {
                ColumnPage = Math.Max(0, Math.Min(ColumnPage, _columnPages - 1) - 1);
                return true;
            }
            if (x >= right - PageButton && x < right)
            {
                ColumnPage = Math.Min(_columnPages - 1, ColumnPage + 1);
                return true;
            }
        }
        if (ChannelAt(x, y) is not { } hit)
            return false;
        Select(hit.Layer, hit.Channel);
        return true;
    }

    /// <summary>Selects a channel as a press on its tile does (a host's own keys, a kiosk's tour); the layer need not be on the page shown.</summary>
    public void Select(string layer, int channel)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Selected = (layer, channel);
        _selectedCaption = $"selected: {layer}, channel {channel}";
    }

    public void OnPointerMove(float x, float y) => Hovered = ChannelAt(x, y);

    public void OnPointerUp(float x, float y)
    {
    }

    /// <summary>The channel whose tile is drawn at (x, y), as laid out for the current model.</summary>
    private (string Layer, int Channel)? ChannelAt(float x, float y)
    {
        foreach (var column in _columns)
        {
            float ax = (x - column.X) * column.Atlas.Width / column.DrawWidth, ay = (y - Y - CaptionHeight) * column.Atlas.Height / column.DrawHeight;
            if (ax < 0 || ay < 0 || ax >= column.Atlas.Width || ay >= column.Atlas.Height)
                continue;
            int tileX = (int)(ax - 1) / (column.MapWidth + 1), tileY = (int)(ay - 1) / (column.MapHeight + 1);
            int tile = tileY * column.TileColumns + tileX;
            return tileX < column.TileColumns && tile < column.Shown ? (column.Layer, column.First + tile) : null;
        }
        return null;
    }

    /// <summary>
    /// The layers the view shows for <paramref name="model"/>, in graph order: every feature map with known channel and
    /// grid sizes ([batch, channels, height, width]) and every token sequence with known sizes ([batch, tokens, features],
    /// a transformer's, drawn as one map of tokens by features).
    /// </summary>
    public static IReadOnlyList<string> LayersOf(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [.. model.Layers()
            .Where(l => GridOf(l.Shape) is not null && model.Outputs.All(o => o.Name != l.Output))
            .Select(l => l.Output)
            .Distinct()];
    }

    /// <summary>How the view draws a tensor of this shape: channels of height × width maps; a token sequence is one map; null for neither.</summary>
    internal static (int Channels, int Height, int Width)? GridOf(TensorShape? shape) => shape switch
    {
        { Rank: 4 } s when s[1] > 0 && s[2] > 0 && s[3] > 0 => ((int)s[1], (int)s[2], (int)s[3]),
        { Rank: 3 } s when s[1] > 0 && s[2] > 0 => (1, (int)s[1], (int)s[2]),
        _ => null,
    };

    protected internal override void Render(IRenderer renderer)
    {
        var inference = Referenced(Inference, "inference");
        if (inference?.Latest is not { } result || inference.Worker?.Explainer is not { } explainer)
            return;
        if (!ReferenceEquals(explainer.SizedModel, _layoutFor) || _pageFor != Page || _maxFor != MaxChannelsPerLayer || _gapFor != Gap ||
            _columnPageFor != ColumnPage || _minWidthFor != MinColumnWidth)
            Lay(explainer.SizedModel, explainer.Labels);
        if (!ReferenceEquals(result, _shown))
        {
            foreach (var column in _columns)
            {
                if (result.Explanation.Tensors.TryGetValue(column.Layer, out var maps))
                {
                    FeatureAtlas.Render(maps, column.Channels, column.MapHeight, column.MapWidth, column.Options, column.Atlas.Pixels);
                    column.Filled = true;
                }
            }
            var probabilities = result.Explanation.Probabilities;
            _predicted = result.Explanation.PredictedClass;
            _probability = _predicted < probabilities.Length ? probabilities[_predicted] : 0f;
            _shown = result;
        }
        for (int i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            renderer.DrawText(column.Name, column.X, Y, 0xFFFFFFFFu);
            renderer.DrawText(column.Op, column.X, Y + 16, 0xFFB0B0B0u);
            renderer.DrawText(column.ChannelsCaption, column.X, Y + 32, 0xFFB0B0B0u);
            renderer.DrawText(column.Grid, column.X, Y + 48, 0xFFB0B0B0u);
            if (column.Filled)
                renderer.DrawImage(column.Atlas, column.X, Y + CaptionHeight, column.DrawWidth, column.DrawHeight);
            // The link to the next column (or to the class), at the atlas's middle.
            int end = i + 1 < _columns.Length ? _columns[i + 1].X : X + Width - ClassColumn;
            renderer.FillRect(column.X + column.DrawWidth + 2, Y + CaptionHeight + column.DrawHeight / 2, Math.Max(0, end - column.X - column.DrawWidth - 4), 2, 0xFF808080u);
        }
        Outline(renderer, Hovered, 0xFFFFFFFFu);
        Outline(renderer, Selected, 0xFF3CB4F0u);
        if (_selectedCaption.Length > 0)
            renderer.DrawText(_selectedCaption, X, Y + Height - 14, 0xFF3CB4F0u);
        if (_columnPages > 1)
        {
            int right = X + Width - ClassColumn;
            renderer.DrawText(_columnPageCaption, right - 2 * PageButton - 8 - 7 * _columnPageCaption.Length, Y + Height - 14, 0xFFB0B0B0u);
            renderer.FillRect(right - 2 * PageButton - 4, Y + Height - 16, PageButton, 16, 0xFF404040u);
            renderer.DrawText("<", right - 2 * PageButton + 4, Y + Height - 14, 0xFFFFFFFFu);
            renderer.FillRect(right - PageButton, Y + Height - 16, PageButton, 16, 0xFF404040u);
            renderer.DrawText(">", right - PageButton + 8, Y + Height - 14, 0xFFFFFFFFu);
        }
        if (_predicted >= 0 && _predicted < _classLabels.Length)
        {
            int x = X + Width - ClassColumn + 4;
            renderer.DrawText(_classLabels[_predicted], x, Y + CaptionHeight, 0xFF3CB4F0u);
            renderer.FillRect(x, Y + CaptionHeight + 20, (int)((ClassColumn - 8) * Math.Clamp(_probability, 0f, 1f)), 6, 0xFF3CB4F0u);
        }
    }

    /// <summary>A one-pixel frame around a channel's tile, where the column draws it.</summary>
    private void Outline(IRenderer renderer, (string Layer, int Channel)? channel, uint color)
    {
        if (channel is not { } c)
            return;
        foreach (var column in _columns)
        {
            int tile = c.Channel - column.First;
            if (column.Layer != c.Layer || tile < 0 || tile >= column.Shown)
                continue;
            float sx = column.DrawWidth / (float)column.Atlas.Width, sy = column.DrawHeight / (float)column.Atlas.Height;
            int x0 = column.X + (int)((1 + tile % column.TileColumns * (column.MapWidth + 1)) * sx) - 1;
            int y0 = Y + CaptionHeight + (int)((1 + tile / column.TileColumns * (column.MapHeight + 1)) * sy) - 1;
            int w = Math.Max(1, (int)(column.MapWidth * sx)) + 2, h = Math.Max(1, (int)(column.MapHeight * sy)) + 2;
            renderer.FillRect(x0, y0, w, 1, color);
            renderer.FillRect(x0, y0 + h - 1, w, 1, color);
            renderer.FillRect(x0, y0, 1, h, color);
            renderer.FillRect(x0 + w - 1, y0, 1, h, color);
        }
    }

    private void Lay(OnnxModel model, IReadOnlyList<string> labels)
    {
        // A selection the new model has no layer for (a model switch) is let go; one made before the first layout stays.
        if (!ReferenceEquals(_layoutFor, model) && Selected is { } selected && !LayersOf(model).Contains(selected.Layer))
        {
            Selected = null;
            _selectedCaption = "";
        }
        Hovered = null;
        _layoutFor = model;
        _pageFor = Page;
        _maxFor = MaxChannelsPerLayer;
        _gapFor = Gap;
        _columnPageFor = ColumnPage;
        _minWidthFor = MinColumnWidth;
        _shown = null;
        var shapes = model.Layers().GroupBy(l => l.Output).ToDictionary(g => g.Key, g => g.First());
        // Counts from the initializers' shapes: the statistics would read every weight, on the render thread.
        var sizes = model.Initializers.Where(i => i.ElementType == TensorElementType.Float32).ToDictionary(i => i.Name, i => i.Shape.ElementCount);
        var parameters = model.Nodes.Where(n => n.Outputs.Length > 0).GroupBy(n => n.Outputs[0])
            .ToDictionary(g => g.Key, g => g.Sum(n => n.Inputs.Sum(input => sizes.GetValueOrDefault(input))));
        var all = LayersOf(model);
        // As many columns as fit at the narrowest width; the rest on further pages, which the view names.
        int columnsPerPage = Math.Max(1, (Width - ClassColumn + Gap) / (Math.Max(8, MinColumnWidth) + Gap));
        _columnPages = Math.Max(1, (all.Count + columnsPerPage - 1) / columnsPerPage);
        int columnPage = Math.Clamp(ColumnPage, 0, _columnPages - 1);
        var layers = all.Skip(columnPage * columnsPerPage).Take(columnsPerPage).ToList();
        _columnPageCaption = _columnPages > 1
            ? $"layers {columnPage * columnsPerPage + 1}-{columnPage * columnsPerPage + layers.Count} of {all.Count}"
            : "";
        _columns = new Column[layers.Count];
        int available = Math.Max(1, Width - ClassColumn - Gap * Math.Max(0, layers.Count - 1));
        int columnWidth = Math.Max(8, available / Math.Max(1, layers.Count)), atlasHeight = Math.Max(8, Height - CaptionHeight - FooterHeight);
        for (int i = 0; i < layers.Count; i++)
        {
            var info = shapes[layers[i]];
            var (channels, height, width) = GridOf(info.Shape)!.Value;
            bool sequence = info.Shape!.Rank == 3;
            int perPage = MaxChannelsPerLayer > 0 ? Math.Min(MaxChannelsPerLayer, channels) : channels;
            int pages = (channels + perPage - 1) / perPage, page = Math.Clamp(Page, 0, pages - 1);
            int first = page * perPage, shown = Math.Min(perPage, channels - first);
            // Tiles per row: whatever keeps the atlas's shape closest to the column's.
            int tileColumns = Enumerable.Range(1, shown).MinBy(c =>
            {
                int rows = (shown + c - 1) / c;
                double aspect = (c * (width + 1) + 1) / (double)(rows * (height + 1) + 1);
                return Math.Abs(Math.Log(aspect / (columnWidth / (double)atlasHeight)));
            });
            var options = (FeatureAtlasOptions.Default with
            {
                Channels = shown == channels ? null : [.. Enumerable.Range(first, shown)],
                Columns = tileColumns, Scale = 1, Gutter = 1, Colormap = Colormap,
            }).Validate(channels);
            var layout = FeatureAtlasLayout.For(shown, height, width, options);
            // Drawn at the largest whole-pixel scale that fits, or shrunk to fit (lower resolution, never cropped).
            double fit = Math.Min(columnWidth / (double)layout.Width, atlasHeight / (double)layout.Height);
            double scale = fit >= 1 ? Math.Floor(fit) : fit;
            // A feature map says its channels (the page shown, when paged) and its grid; a token sequence its tokens ×
            // features. Each caption in the longest form that fits the column and its gap, shorter forms after.
            int room = columnWidth + Gap - 2;
            string channelsCaption = sequence ? "seq"
                : pages > 1 ? Numbers(room, $"{first}-{first + shown - 1}/{channels} ch", $"{first}-{first + shown - 1}/{channels}", $"{first}-{first + shown - 1}")
                : Numbers(room, $"{channels} ch", $"{channels}");
            string grid = Numbers(room, $"{height}×{width}", height == width ? $"{height}²" : $"{height}×{width}");
            long count = parameters.GetValueOrDefault(layers[i]);
            _columns[i] = new Column(layers[i], channels, height, width, options, new RgbaImage(layout.Width, layout.Height), layout.Columns, first, shown,
                X + i * (columnWidth + Gap), Math.Max(1, (int)(layout.Width * scale)), Math.Max(1, (int)(layout.Height * scale)),
                Fit(room, NameForms(layers[i], info.OpType)), Fit(room, $"{info.OpType}{(count > 0 ? $" {count:N0}p" : "")}", info.OpType), channelsCaption, grid);
        }
        _classLabels = [.. Enumerable.Range(0, Math.Max(labels.Count, model.Outputs[0].Shape is { Rank: 2 } o && o[1] > 0 ? (int)o[1] : 0))
            .Select(k => k < labels.Count ? labels[k] : k.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>
    /// The first of <paramref name="forms"/> (longest first) that fits <paramref name="width"/> pixels in the baked font
    /// the hosts draw with; when none does, the last cut to fit (a name's start still tells layers apart).
    /// </summary>
    /// <summary>
    /// As <see cref="Fit"/> for numbers, which are never cut (a cut "64×160" reads as 64×16): when no form fits, the
    /// shortest is drawn whole and may reach into the gap.
    /// </summary>
    private static string Numbers(int width, params string[] forms)
    {
        foreach (string form in forms)
        {
            if (BakedFont.Default.Measure(form) <= width)
                return form;
        }
        return forms.MinBy(f => f.Length)!;
    }

    /// <summary>
    /// A layer's name, then its endings after each '/' or '.', longest first: exporters name tensors by path
    /// ("/model/stem/Conv_output_0", "layer2.layer2.1.relu_1"), and the end tells neighbours apart where the start is
    /// the same for every layer. A last part that only repeats the op ("Conv_output_0") is dropped.
    /// </summary>
    private static string[] NameForms(string name, string opType)
    {
        string trimmed = name;
        int last = name.LastIndexOf('/');
        if (last > 0 && name.Substring(last + 1).StartsWith(opType, StringComparison.Ordinal))
            trimmed = name.Substring(0, last);
        var forms = new List<string> { name };
        for (int i = 0; i < trimmed.Length; i++)
        {
            if ((trimmed[i] == '/' || trimmed[i] == '.') && i + 1 < trimmed.Length)
                forms.Add(trimmed.Substring(i + 1));
        }
        return [.. forms];
    }

    private static string Fit(int width, params string[] forms)
    {
        var font = BakedFont.Default;
        foreach (string form in forms)
        {
            if (font.Measure(form) <= width)
                return form;
        }
        string text = forms[^1];
        int length = text.Length;
        while (length > 1 && font.Measure(text.Substring(0, length)) > width)
            length--;
        return text.Substring(0, length);
    }

    private sealed class Column(string layer, int channels, int mapHeight, int mapWidth, FeatureAtlasOptions options, RgbaImage atlas, int tileColumns, int first, int shown,
                                int x, int drawWidth, int drawHeight,
                                string name, string op, string channelsCaption, string grid)
    {
        public string Layer => layer;
        public int Channels => channels;
        public int MapHeight => mapHeight;
        public int MapWidth => mapWidth;
        public FeatureAtlasOptions Options => options;
        public RgbaImage Atlas => atlas;
        public int TileColumns => tileColumns;
        /// <summary>The first channel shown (a page's start) and how many.</summary>
        public int First => first;
        public int Shown => shown;
        public int X => x;
        public int DrawWidth => drawWidth;
        public int DrawHeight => drawHeight;
        public string Name => name;
        /// <summary>The op and the parameter count ("Conv 4,640p").</summary>
        public string Op => op;
        /// <summary>The channels ("64 ch"), or the page shown ("8-15/64 ch"); "seq" for a token sequence.</summary>
        public string ChannelsCaption => channelsCaption;
        /// <summary>Height × width of a map ("7×7"), or tokens × features.</summary>
        public string Grid => grid;
        public bool Filled { get; set; }
    }
}
