using System.Collections.Immutable;
using System.Text;
using Glassbox.Onnx;
using Glassbox.Onnx.Gradients;

namespace Glassbox.Explain;

/// <summary>One method's verdict on a model: whether it will work, and why not.</summary>
public sealed record MethodVerdict(string Method, bool Works, string? Reason);

/// <summary>What <see cref="ModelDoctor.Examine"/> found about a model, ready to print.</summary>
public sealed record ModelExamination(
    string Source,
    string Producer,
    long Opset,
    ImmutableArray<TensorInfo> Inputs,
    ImmutableArray<TensorInfo> Outputs,
    string ExplainedOutput,
    string? Layer,
    ImmutableArray<OpCoverage> GradientPath,
    string? GradientPathProblem,
    ImmutableArray<MethodVerdict> Methods,
    ImmutableArray<string> Advice)
{
    /// <summary>The examination as the explain tool's inspect command prints it.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine($"Model    {Source}");
        text.AppendLine($"Made by  {(Producer.Length > 0 ? Producer : "(not recorded)")}, opset {Opset}" +
                        (Opset < 13 ? $" (upgraded to 13 on Glassbox's copy for gradients; the file is not changed)" : ""));
        foreach (var input in Inputs)
            text.AppendLine($"Input    {input.Name}: {input.ElementType.OnnxName()} {input.Shape}");
        foreach (var output in Outputs)
            text.AppendLine($"Output   {output.Name}: {output.ElementType.OnnxName()} {output.Shape}{(output.Name == ExplainedOutput ? "  ← explained" : "")}");
        if (Layer is not null)
            text.AppendLine($"Layer    {Layer} (CAM methods; --layer picks another)");
        text.AppendLine();
        if (GradientPathProblem is not null)
        {
            text.AppendLine($"Gradient path: {GradientPathProblem}");
        }
        else
        {
            int nodes = GradientPath.Sum(o => o.Count);
            text.AppendLine($"Gradient path from the input to '{ExplainedOutput}': {nodes} nodes, {GradientPath.Length} op types");
            foreach (var op in GradientPath)
                text.AppendLine($"  {(op.HasRule ? "rule   " : "NO RULE")}  {op.OpType,-24} {op.Count,5} node{(op.Count == 1 ? "" : "s")}{(op.HasRule ? "" : $": {string.Join(", ", op.Nodes)}")}");
        }
        text.AppendLine();
        text.AppendLine("Methods");
        foreach (var verdict in Methods)
            text.AppendLine($"  {(verdict.Works ? "works  " : "no     ")}  {verdict.Method,-22}{(verdict.Reason is null ? "" : " " + verdict.Reason)}");
        if (Advice.Length > 0)
        {
            text.AppendLine();
            text.AppendLine("To run it");
            foreach (var line in Advice)
                text.AppendLine($"  {line}");
        }
        return text.ToString();
    }
}

/// <summary>
/// Examines a model before anything runs on it: its inputs and outputs, the ops on the gradient
/// path with and without a rule, which methods will work and why the others will not, and what to
/// pass (--size, --output, --target). Gradient graphs are derived to check them (fast); no model
/// is run unless the output's class axis is known only from a run.
/// </summary>
public static class ModelDoctor
{
    /// <summary>The size a free-size model is examined at when none is given; methods do not depend on it.</summary>
    private const int ProbeSize = 224;

    public static ModelExamination Examine(OnnxModel model, ExplainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= ExplainerOptions.Default;
        var advice = new List<string>();
        string output = options.Output ?? model.Outputs.FirstOrDefault()?.Name ?? throw new GlassboxException($"Model '{model.Source}' has no outputs.");
        if (model.Outputs.Length > 1)
            advice.Add($"--output NAME picks the output to explain ({string.Join(", ", model.Outputs.Select(o => o.Name))}); '{output}' is taken now.");
        var input = model.Inputs.FirstOrDefault();
        if (input is { Shape.Rank: 4 } && (input.Shape[2] == TensorShape.Dynamic || input.Shape[3] == TensorShape.Dynamic))
        {
            if (options.InputWidth is null || options.InputHeight is null)
            {
                advice.Add($"--size WxH: the input's height and width are free ({input.Shape}); give the size to run at (examined at {ProbeSize}×{ProbeSize}).");
                options = options with { InputWidth = options.InputWidth ?? ProbeSize, InputHeight = options.InputHeight ?? ProbeSize };
            }
        }
        var outputShape = model.Outputs.FirstOrDefault(o => o.Name == output)?.Shape;
        switch (outputShape?.Rank)
        {
            case 4:
                advice.Add("--target box:X0,Y0,X1,Y1[:CLASS] explains a region of the dense map (input pixels); without it, the whole map's top class.");
                break;
            case 3:
                advice.Add("--target detection:K[:CLASS] for the K-th best box of a detection head ([batch, boxes, 4 + classes]), or step:T[:CLASS] for a sequence step.");
                break;
        }

        var coverage = ImmutableArray<OpCoverage>.Empty;
        string? pathProblem = null;
        if (input is not null)
        {
            try
            {
                coverage = [.. GradientGraph.Coverage(model, output, input.Name)];
            }
            catch (OnnxModelException e)
            {
                pathProblem = e.Message;
            }
        }

        var verdicts = new List<MethodVerdict>();
        string? layer = null;
        Explainer? explainer = null;
        try
        {
            explainer = Explainer.Create(model, options with { Inference = options.Inference with { Providers = [Inference.ExecutionProvider.Cpu] } });
        }
        catch (GlassboxException e)
        {
            foreach (var name in AttributionMethods.Names)
                verdicts.Add(new MethodVerdict(name, false, e.Message));
        }
        if (explainer is not null)
        {
            using (explainer)
            {
                try
                {
                    layer = explainer.Layer;
                }
                catch (GlassboxException)
                {
                    // Each CAM method reports it below.
                }
                var derived = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var name in AttributionMethods.Names)
                    verdicts.Add(Verdict(explainer, name, derived));
            }
        }
        return new ModelExamination(model.Source, model.Producer, model.Opsets.GetValueOrDefault("ai.onnx", 0), model.Inputs, model.Outputs, output, layer,
            coverage, pathProblem, [.. verdicts], [.. advice]);
    }

    private static MethodVerdict Verdict(Explainer explainer, string name, Dictionary<string, string?> derived)
    {
        try
        {
            var method = AttributionMethods.Parse(name);
            // The shared run's gradients and any run of the method's own (a modified backward pass) must derive.
            foreach (var needs in method.OwnRunNeeds(explainer).Prepend(method.Needs(explainer)).Where(n => n.NeedsGradients))
            {
                // Derive once per pass and set of gradient targets; the methods sharing it share its verdict.
                string key = $"{needs.Backward.Name}:{string.Join(",", needs.GradientTargets)}";
                if (!derived.TryGetValue(key, out var problem))
                {
                    try
                    {
                        GradientGraph.Derive(explainer.Model, explainer.Output, needs.GradientTargets, backward: needs.Backward);
                        problem = null;
                    }
                    catch (OnnxModelException e)
                    {
                        problem = e.Message;
                    }
                    derived[key] = problem;
                }
                if (problem is not null)
                    return new MethodVerdict(name, false, problem);
            }
            return new MethodVerdict(name, true, null);
        }
        catch (GlassboxException e)
        {
            return new MethodVerdict(name, false, e.Message);
        }
    }
}
