using System.Text;
using System.Text.Json;

namespace Glassbox.Explain;

/// <summary>
/// Work that takes seconds (top examples over a dataset, synthesised inputs) kept on disk, keyed by what determines it:
/// the model's SHA-256, the dataset's hash and the settings. A second start with the same key reads the result instead
/// of computing it; a different model, dataset or setting never reads another's. A damaged entry is computed again and
/// replaced.
/// </summary>
public sealed class InsightCache
{
    private static readonly JsonSerializerOptions Json = new() { IncludeFields = false };

    /// <summary>Part of every key: entries written by another layout of the results are never read.</summary>
    private const int Format = 2;

    public InsightCache(string folder)
    {
        Folder = string.IsNullOrEmpty(folder) ? throw new ArgumentException("Give the cache a folder.", nameof(folder)) : folder;
    }

    public string Folder { get; }

    /// <summary>$XDG_CACHE_HOME/glassbox, or ~/.cache/glassbox.</summary>
    public static string DefaultFolder
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "glassbox");
        }
    }

    /// <summary>Whether the last call read its result from disk.</summary>
    public bool LastWasHit { get; private set; }

    public IReadOnlyList<LayerExamples> TopExamples(string modelSha256, string datasetHash, IReadOnlyList<string> layers, int top, Func<IReadOnlyList<LayerExamples>> compute) =>
        GetOrCompute("examples", $"{modelSha256}|{datasetHash}|{string.Join(",", layers)}|{top}", compute);

    /// <summary>
    /// The settings a synthesis depends on besides the model and layer, as the text <see cref="Features"/> keys it by: the
    /// options, the pixel levels, the channels and their units (null: the centre).
    /// </summary>
    public static string FeatureSettings(FeatureVisualisationOptions options, IReadOnlyList<float> blackLevel, IReadOnlyList<float> whiteLevel,
                                         IReadOnlyList<int> channels, IReadOnlyList<(int X, int Y)>? units) =>
        $"{JsonSerializer.Serialize(options)}|{string.Join(";", blackLevel)}|{string.Join(";", whiteLevel)}|{string.Join(";", channels)}|{(units is null ? "centre" : string.Join(";", units))}";

    /// <param name="settings">Everything else the synthesis depends on (options, channels, units), as text: <see cref="FeatureSettings"/>.</param>
    public IReadOnlyList<FeatureImage> Features(string modelSha256, string layer, string settings, Func<IReadOnlyList<FeatureImage>> compute) =>
        GetOrCompute("features", $"{modelSha256}|{layer}|{settings}", compute);

    private IReadOnlyList<T> GetOrCompute<T>(string kind, string key, Func<IReadOnlyList<T>> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        key = $"format {Format}|{key}";
        string hash = Sha256Hex.Of(Encoding.UTF8.GetBytes($"{kind}|{key}"));
        string path = Path.Combine(Folder, $"{kind}-{hash[..32]}.json");
        if (File.Exists(path))
        {
            try
            {
                var entry = JsonSerializer.Deserialize<Entry<T>>(File.ReadAllText(path), Json);
                if (entry is { Items: not null } && entry.Key == key)
                {
                    LastWasHit = true;
                    return entry.Items;
                }
            }
            catch (JsonException)
            {
                // Damaged: computed again below and replaced.
            }
        }
        LastWasHit = false;
        var items = compute();
        Directory.CreateDirectory(Folder);
        // Written whole to a temporary file and moved into place: a reader never sees half an entry.
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new Entry<T>(key, [.. items]), Json));
        try
        {
            File.Move(temporary, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Replace(temporary, path, destinationBackupFileName: null);
        }
        return items;
    }

    private sealed record Entry<T>(string Key, T[] Items);
}
