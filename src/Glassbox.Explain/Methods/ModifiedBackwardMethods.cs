using System.Collections.Immutable;
using System.Globalization;
using Glassbox.Inference.Planning;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Explain.Methods;

/// <summary>
/// A method on the input "gradient" of a modified backward pass (<see cref="BackwardPass"/>): derived with
/// other rules for some ops, so it runs in a session of its own after the shared run, for the same input and
/// target. The map is the largest |value| over the channels, as for the vanilla gradient.
/// </summary>
public abstract class ModifiedBackwardMethod : InputGradientMethod
{
    /// <summary>The rules this method's backward pass follows.</summary>
    public abstract BackwardPass Pass { get; }

    // The shared run only finds the target; the method's own run takes the modified backward pass.
    public override RunNeeds Needs(Explainer explainer) => RunNeeds.None;

    private readonly PassNeeds _needs = new();

    public override IEnumerable<RunNeeds> OwnRunNeeds(Explainer explainer) => [_needs.For(explainer.Input.Name, Pass)];

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        return MapOf(context, Saliency(context, _needs.For(e.Input.Name, Pass)), e.Width, e.Height);
    }

    /// <summary>Largest |value| over the channels of the input signal the pass gives back, one value per pixel.</summary>
    internal static float[] Saliency(ExplainContext context, RunNeeds needs)
    {
        var e = context.Explainer;
        var run = context.RunAlongside(needs);
        return MaxAbsOverChannels(run.Gradient(e.Input.Name), e.Channels, e.Height * e.Width);
    }
}

/// <summary>
/// The needs of a pass's own run, made once per input name and then the same instance each frame, so the
/// context finds its session by reference. Methods may serve several explainers at once: the pair is swapped whole.
/// </summary>
internal sealed class PassNeeds
{
    private (string Input, RunNeeds Needs)? _last;

    public RunNeeds For(string input, BackwardPass pass)
    {
        if (_last is { } last && last.Input == input && last.Needs.Backward == pass)
            return last.Needs;
        var needs = RunNeeds.ForGradients(input) with { Backward = pass };
        _last = (input, needs);
        return needs;
    }
}

/// <summary>
/// Guided Backprop (Springenberg et al. 2015): through each ReLU only positive signal passes back, and only
/// where the activation was positive. Sharp, but known to depend little on the weights above the first
/// layers (Adebayo et al. 2018: it fails the randomisation sanity check).
/// </summary>
public sealed class GuidedBackprop : ModifiedBackwardMethod
{
    public override string Name => "guided-backprop";

    public override BackwardPass Pass => BackwardPass.GuidedBackprop;
}

/// <summary>
/// DeconvNet (Zeiler and Fergus 2014), as a backward pass: through each ReLU only positive signal passes back,
/// whatever the activation was.
/// </summary>
public sealed class DeconvNet : ModifiedBackwardMethod
{
    public override string Name => "deconvnet";

    public override BackwardPass Pass => BackwardPass.DeconvNet;
}

/// <summary>
/// Guided Grad-CAM (Selvaraju et al. 2017): the Guided Backprop map times the Grad-CAM map of the
/// explainer's layer, upsampled bilinearly to the input: fine detail where the class evidence is.
/// </summary>
public sealed class GuidedGradCam : InputGradientMethod
{
    private readonly GradCam _gradCam = new();
    private readonly PassNeeds _guidedNeeds = new();

    public override string Name => "guided-grad-cam";

    public override bool UsesLayer => true;

    public override RunNeeds Needs(Explainer explainer) => _gradCam.Needs(explainer);

    public override IEnumerable<RunNeeds> OwnRunNeeds(Explainer explainer) => [_guidedNeeds.For(explainer.Input.Name, BackwardPass.GuidedBackprop)];

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        var cam = _gradCam.Compute(context);
        var upsampled = MapMath.Resample(cam.Values, cam.Width, cam.Height, e.Width, e.Height);
        var guided = ModifiedBackwardMethod.Saliency(context, _guidedNeeds.For(e.Input.Name, BackwardPass.GuidedBackprop));
        for (int i = 0; i < guided.Length; i++)
            guided[i] *= upsampled[i];
        return MapOf(context, guided, e.Width, e.Height, cam.Layer);
    }
}

/// <summary>
/// Layer-wise Relevance Propagation (Bach et al. 2015) with a composite of rules (<see cref="LrpComposite"/>,
/// Zennit's presets; EpsilonPlusFlat by default): the explained score handed back layer by layer as relevance,
/// summed over the input's channels. Signed: red for, blue against. With the conserving rules on a network without
/// biases the relevance sums to the score; biases and ε take a share, which <see cref="AttributionMap.Details"/>
/// reports ("relevance_sum", "leak").
/// </summary>
public sealed class Lrp : AttributionMethod
{
    private readonly LrpComposite? _composite;
    private readonly IReadOnlyList<(string Layer, LrpRule Rule)> _overrides = [];
    private readonly PassNeeds _needs = new();
    private (Explainer Explainer, BackwardPass Pass)? _last;

    /// <param name="composite">A preset name (<see cref="LrpComposite.PresetNames"/>); epsilon-gamma-box takes the
    /// input's bounds from the explainer's black and white levels.</param>
    /// <param name="epsilon">ε of the ε rule on dense layers (and on every layer in the "epsilon" composite).</param>
    /// <param name="overrides">Rules for single nodes (by name) or op types, over the composite's.</param>
    public Lrp(string composite = "epsilon-plus-flat", float epsilon = 1e-6f, IReadOnlyList<(string Layer, LrpRule Rule)>? overrides = null)
    {
        if (!(epsilon > 0f && epsilon <= 1e3f))
            throw new GlassboxException($"LRP epsilon is {epsilon}; use a small positive number (1e-6 keeps nearly everything; 0.25 keeps the strongest evidence).");
        if (!LrpComposite.PresetNames.Contains(composite))
            throw new GlassboxException($"Unknown LRP composite '{composite}'. Composites: {string.Join(", ", LrpComposite.PresetNames)}.");
        CompositeName = composite;
        Epsilon = epsilon;
        _overrides = overrides ?? [];
    }

    /// <summary>LRP with exactly these rules (a preset with per-layer overrides, say).</summary>
    public Lrp(LrpComposite composite)
    {
        _composite = composite ?? throw new ArgumentNullException(nameof(composite));
        CompositeName = composite.Name;
        Epsilon = composite.Dense.Stabiliser;
    }

    public override string Name => "lrp";

    public string CompositeName { get; }

    public float Epsilon { get; }

    public override bool UsesGradients => true;

    /// <summary>The rules this method propagates by for an explainer's model and input range.</summary>
    public LrpComposite CompositeFor(Explainer explainer) =>
        _composite ?? _overrides.Aggregate(
            LrpComposite.Named(CompositeName, Epsilon, explainer.BlackLevel.ToArray(), explainer.WhiteLevel.ToArray()),
            (composite, o) => composite.Override(o.Layer, o.Rule));

    private BackwardPass PassFor(Explainer explainer)
    {
        // The pass is the same every frame for one explainer; the composite is built once, not per frame.
        if (_last is { } last && last.Explainer == explainer)
            return last.Pass;
        var pass = BackwardPass.Lrp(CompositeFor(explainer));
        _last = (explainer, pass);
        return pass;
    }

    public override RunNeeds Needs(Explainer explainer) => RunNeeds.None;

    public override IEnumerable<RunNeeds> OwnRunNeeds(Explainer explainer) => [_needs.For(explainer.Input.Name, PassFor(explainer))];

    public override AttributionMap Compute(ExplainContext context)
    {
        var e = context.Explainer;
        var run = context.RunAlongside(_needs.For(e.Input.Name, PassFor(e)));
        var relevance = run.Gradient(e.Input.Name);
        int pixels = e.Width * e.Height;
        var map = new float[pixels];
        double total = 0;
        for (int c = 0; c < e.Channels; c++)
        {
            for (int i = 0; i < pixels; i++)
            {
                map[i] += relevance[c * pixels + i];
                total += relevance[c * pixels + i];
            }
        }
        double score = context.TargetScore;
        return MapOf(context, map, e.Width, e.Height, signed: true) with
        {
            Details = ImmutableDictionary<string, string>.Empty
                .Add("composite", CompositeName)
                .Add("epsilon", Epsilon.ToString("R", CultureInfo.InvariantCulture))
                .Add("relevance_sum", total.ToString("R", CultureInfo.InvariantCulture))
                .Add("leak", (score - total).ToString("R", CultureInfo.InvariantCulture)),
        };
    }
}
