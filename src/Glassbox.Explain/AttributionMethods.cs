using System.Collections.Immutable;
using System.Globalization;
using Glassbox.Explain.Methods;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Explain;

/// <summary>The method catalogue by name, and parsing of "name:key=value:…" specifications.</summary>
public static class AttributionMethods
{
    /// <summary>Every method name, in the order reports list them.</summary>
    public static ImmutableArray<string> Names { get; } =
    [
        "cam", "grad-cam", "grad-cam++", "xgrad-cam", "layer-cam", "eigen-cam", "score-cam", "ablation-cam",
        "gradient", "gradient-x-input", "smoothgrad", "integrated-gradients", "guided-backprop", "deconvnet", "guided-grad-cam", "lrp",
        "occlusion", "rise", "attention-rollout",
    ];

    /// <summary>
    /// A method from its name and optional settings, e.g. "rise:masks=1000:seed=3",
    /// "occlusion:window=8:stride=4", "integrated-gradients:steps=64:baseline=blurred",
    /// "smoothgrad:samples=50:noise=0.2", "attention-rollout:fusion=max:discard=0.8", "lrp:composite=epsilon-gamma-box", "lrp:composite=epsilon:epsilon=0.25".
    /// </summary>
    public static AttributionMethod Parse(string specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
        var parts = specification.Trim().Split(':');
        string name = parts[0].Trim().ToLowerInvariant();
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0)
                throw new GlassboxException($"Method setting '{part}' in '{specification}' is not key=value; write e.g. rise:masks=1000:seed=3.");
            settings[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        var reader = new SettingReader(name, settings);
        AttributionMethod method = name switch
        {
            "cam" => new Cam(),
            "grad-cam" or "gradcam" => new GradCam(),
            "grad-cam++" or "gradcam++" or "gradcampp" => new GradCamPlusPlus(),
            "xgrad-cam" or "xgradcam" => new XGradCam(),
            "layer-cam" or "layercam" => new LayerCam(),
            "eigen-cam" or "eigencam" => new EigenCam(),
            "score-cam" or "scorecam" => new ScoreCam(),
            "ablation-cam" or "ablationcam" => new AblationCam(),
            "gradient" or "saliency" or "vanilla-gradient" => new VanillaGradient(),
            "gradient-x-input" or "gradientxinput" or "input-x-gradient" => new GradientTimesInput(),
            "smoothgrad" => new SmoothGrad(reader.Int("samples", 25), reader.Float("noise", 0.15f), reader.Int("seed", 0)),
            "integrated-gradients" or "ig" => new IntegratedGradients(reader.Int("steps", 32), reader.Enum("baseline", IntegrationBaseline.Black), reader.Int("seed", 0)),
            "guided-backprop" or "guidedbackprop" or "guided-backpropagation" => new GuidedBackprop(),
            "deconvnet" or "deconv" => new DeconvNet(),
            "guided-grad-cam" or "guided-gradcam" or "guidedgradcam" => new GuidedGradCam(),
            "lrp" => new Lrp(reader.Choice("composite", "epsilon-plus-flat", LrpComposite.PresetNames), reader.Float("epsilon", 1e-6f), LrpOverrides(name, reader)),
            "lrp-epsilon" => new Lrp("epsilon", reader.Float("epsilon", 1e-6f)),
            "occlusion" => new Occlusion(reader.Int("window", 0), reader.Int("stride", 0)),
            "rise" => new Rise(reader.Int("masks", 500), reader.Int("grid", 7), reader.Float("p", 0.5f), reader.Int("seed", 0)),
            "attention-rollout" or "rollout" => new AttentionRollout(reader.Enum("fusion", HeadFusion.Mean), reader.Float("discard", 0.9f)),
            _ => throw new GlassboxException($"Unknown method '{parts[0]}'. Methods: {string.Join(", ", Names)}."),
        };
        reader.CheckAllUsed();
        return method;
    }

    // "rule.conv1=flat", "rule.Gemm=epsilon=0.25": a rule for a node by name, or for an op type.
    private static IReadOnlyList<(string Layer, LrpRule Rule)> LrpOverrides(string method, SettingReader reader) =>
        reader.Prefixed("rule.").Select(o =>
        {
            try
            {
                return (o.Key, LrpRule.Parse(o.Value));
            }
            catch (ArgumentException e)
            {
                throw new GlassboxException($"{method}: rule.{o.Key}: {e.Message}");
            }
        }).ToList();

    /// <summary>Several methods from a comma-separated list.</summary>
    public static IReadOnlyList<AttributionMethod> ParseList(string specifications) =>
        specifications.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).Select(Parse).ToList();

    private sealed class SettingReader(string method, Dictionary<string, string> settings)
    {
        private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

        public int Int(string key, int fallback)
        {
            if (!Take(key, out var text))
                return fallback;
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
                ? value : throw new GlassboxException($"{method}: {key}={text} is not a whole number.");
        }

        public float Float(string key, float fallback)
        {
            if (!Take(key, out var text))
                return fallback;
            return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
                ? value : throw new GlassboxException($"{method}: {key}={text} is not a number.");
        }

        public T Enum<T>(string key, T fallback) where T : struct, Enum
        {
            if (!Take(key, out var text))
                return fallback;
            return System.Enum.TryParse<T>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value) && !int.TryParse(text, out _)
                ? value : throw new GlassboxException($"{method}: {key}={text} is not one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        }

        public string Choice(string key, string fallback, IReadOnlyCollection<string> choices)
        {
            if (!Take(key, out var text))
                return fallback;
            return choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
                   ?? throw new GlassboxException($"{method}: {key}={text} is not one of {string.Join(", ", choices)}.");
        }

        /// <summary>Every setting whose key starts with <paramref name="prefix"/>, by the rest of its key.</summary>
        public IReadOnlyList<(string Key, string Value)> Prefixed(string prefix)
        {
            var found = settings.Where(s => s.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && s.Key.Length > prefix.Length).ToList();
            foreach (var s in found)
                _used.Add(s.Key);
            return found.Select(s => (s.Key[prefix.Length..], s.Value)).ToList();
        }

        public void CheckAllUsed()
        {
            var unknown = settings.Keys.Where(k => !_used.Contains(k)).ToList();
            if (unknown.Count > 0)
                throw new GlassboxException($"{method} has no setting {string.Join(", ", unknown.Select(u => $"'{u}'"))}.");
        }

        private bool Take(string key, out string text)
        {
            _used.Add(key);
            return settings.TryGetValue(key, out text!);
        }
    }
}
