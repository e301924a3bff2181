namespace Glassbox.Explain;

/// <summary>
/// How one sample of the model's output becomes the class scores an explanation is of, and the
/// gradient seed that picks the explained score: the row of a classifier; a class channel of a
/// dense map summed over a box; one detection's class scores; one step of a sequence. Every method
/// and metric reads scores through this, so each works on every kind of output.
/// </summary>
internal abstract class TargetReadout
{
    /// <summary>Values in one sample of the output.</summary>
    public abstract int SampleSize { get; }

    /// <summary>Number of class scores the readout gives.</summary>
    public abstract int Classes { get; }

    /// <summary>False when the readout must see the output before it knows what it reads (which detection).</summary>
    public virtual bool Resolved => true;

    /// <summary>Fixes what depends on the unperturbed output (the K-th detection's box), then reads as usual.</summary>
    public virtual void Resolve(ReadOnlySpan<float> sample)
    {
    }

    /// <summary>Forgets what <see cref="Resolve"/> fixed, for the next input.</summary>
    public virtual void Unresolve()
    {
    }

    public abstract void Read(ReadOnlySpan<float> sample, Span<float> scores, Span<float> probabilities);

    /// <summary>The seed of Σ seed·output: +1 on the explained class's values, −1 on the contrast's.</summary>
    public abstract void FillSeed(Span<float> seed, int label, int? contrast);

    public static TargetReadout For(ExplanationTarget target, TensorShape outputSample, int inputWidth, int inputHeight, string output)
    {
        var dims = outputSample.Dimensions;
        switch (target.Kind)
        {
            case TargetKind.Class when dims.Length == 1:
                return new ClassRow((int)dims[0]);
            case TargetKind.Class when dims.Length == 3:
                // A dense map without a box: the whole map.
                return new Region(dims, new PixelBox(0, 0, inputWidth, inputHeight), inputWidth, inputHeight);
            case TargetKind.Region when dims.Length == 3:
                return new Region(dims, target.Box!.Value, inputWidth, inputHeight);
            case TargetKind.Detection when dims.Length == 2:
                if (dims[1] < 5)
                    throw new GlassboxException($"Output '{output}' is batch × {outputSample}; a detection row needs 4 box values and at least one score.");
                return new DetectionRow((int)dims[0], (int)dims[1], target.Rank);
            case TargetKind.Step when dims.Length == 2:
                if (target.Rank >= dims[0])
                    throw new GlassboxException($"Step {target.Rank} does not exist: output '{output}' has {dims[0]} steps, 0 to {dims[0] - 1}.");
                return new StepRow((int)dims[0], (int)dims[1], target.Rank);
        }
        string shape = $"batch × {outputSample}";
        string advice = dims.Length switch
        {
            1 => "a class target (top, a class number, A-B)",
            3 => "top, a class, or box:X0,Y0,X1,Y1[:CLASS] for a region of the map",
            2 => "detection:K[:CLASS] for the K-th highest-scoring box (rows of 4 box values and scores), or step:T[:CLASS] for one step of a sequence",
            _ => "a model whose output is [batch, classes], [batch, channels, height, width], [batch, boxes, 4 + classes] or [batch, steps, classes]",
        };
        throw new GlassboxException($"Target '{target}' does not fit output '{output}' of shape {shape}; use {advice}.");
    }

    private sealed class ClassRow(int classes) : TargetReadout
    {
        public override int SampleSize => classes;
        public override int Classes => classes;

        public override void Read(ReadOnlySpan<float> sample, Span<float> scores, Span<float> probabilities)
        {
            sample[..classes].CopyTo(scores);
            MapMath.Softmax(scores[..classes], probabilities);
        }

        public override void FillSeed(Span<float> seed, int label, int? contrast)
        {
            seed.Clear();
            seed[label] = 1f;
            if (contrast is { } against)
                seed[against] = -1f;
        }
    }

    /// <summary>
    /// A box of a dense map [channels, height, width], given in input pixels and scaled onto the map.
    /// Scores are each channel's sum over the box; probabilities the box's mean of the per-pixel
    /// softmax over channels (a single-channel map is taken as it is: a probability or score map).
    /// </summary>
    private sealed class Region : TargetReadout
    {
        private readonly int _channels, _height, _width, _x0, _y0, _x1, _y1;

        public Region(System.Collections.Immutable.ImmutableArray<long> dims, PixelBox box, int inputWidth, int inputHeight)
        {
            (_channels, _height, _width) = ((int)dims[0], (int)dims[1], (int)dims[2]);
            if (box.X1 > inputWidth || box.Y1 > inputHeight)
                throw new GlassboxException($"Box {box} reaches outside the {inputWidth}×{inputHeight} input; give pixel corners inside it.");
            // Every map pixel the box touches, at least one.
            _x0 = Math.Min(_width - 1, (int)((long)box.X0 * _width / inputWidth));
            _y0 = Math.Min(_height - 1, (int)((long)box.Y0 * _height / inputHeight));
            _x1 = Math.Max(_x0 + 1, (int)(((long)box.X1 * _width + inputWidth - 1) / inputWidth));
            _y1 = Math.Max(_y0 + 1, (int)(((long)box.Y1 * _height + inputHeight - 1) / inputHeight));
        }

        public override int SampleSize => _channels * _height * _width;
        public override int Classes => _channels;

        public override void Read(ReadOnlySpan<float> sample, Span<float> scores, Span<float> probabilities)
        {
            int plane = _height * _width;
            scores[.._channels].Clear();
            probabilities[.._channels].Clear();
            Span<float> pixel = _channels <= 256 ? stackalloc float[_channels] : new float[_channels];
            Span<float> softmax = _channels <= 256 ? stackalloc float[_channels] : new float[_channels];
            for (int y = _y0; y < _y1; y++)
            {
                for (int x = _x0; x < _x1; x++)
                {
                    for (int c = 0; c < _channels; c++)
                        pixel[c] = sample[c * plane + y * _width + x];
                    if (_channels > 1)
                        MapMath.Softmax(pixel, softmax);
                    else
                        pixel.CopyTo(softmax);
                    for (int c = 0; c < _channels; c++)
                    {
                        scores[c] += pixel[c];
                        probabilities[c] += softmax[c];
                    }
                }
            }
            float area = (_y1 - _y0) * (_x1 - _x0);
            for (int c = 0; c < _channels; c++)
                probabilities[c] /= area;
        }

        public override void FillSeed(Span<float> seed, int label, int? contrast)
        {
            seed.Clear();
            int plane = _height * _width;
            for (int y = _y0; y < _y1; y++)
            {
                seed.Slice(label * plane + y * _width + _x0, _x1 - _x0).Fill(1f);
                if (contrast is { } against)
                    seed.Slice(against * plane + y * _width + _x0, _x1 - _x0).Fill(-1f);
            }
        }
    }

    /// <summary>
    /// Rows of 4 box values and scores ([boxes, 4 + classes]): the rank-th best row by its highest
    /// score, chosen on the unperturbed input and kept for perturbed ones (a head's rows are fixed
    /// anchor positions). Scores are the row's scores as the head gives them.
    /// </summary>
    private sealed class DetectionRow(int boxes, int columns, int rank) : TargetReadout
    {
        private int _row = -1;

        public override int SampleSize => boxes * columns;
        public override int Classes => columns - 4;
        public override bool Resolved => _row >= 0;

        /// <summary>The chosen row (box), once resolved.</summary>
        public int Row => _row;

        public override void Unresolve() => _row = -1;

        public override void Resolve(ReadOnlySpan<float> sample)
        {
            if (rank >= boxes)
                throw new GlassboxException($"Detection {rank + 1} does not exist: the head has {boxes} boxes.");
            var best = new float[boxes];
            for (int b = 0; b < boxes; b++)
            {
                float top = float.NegativeInfinity;
                for (int c = 4; c < columns; c++)
                    top = Math.Max(top, sample[b * columns + c]);
                best[b] = top;
            }
            // Stable: equal scores keep row order, so the choice is reproducible.
            var order = Enumerable.Range(0, boxes).OrderByDescending(b => best[b]).ToArray();
            _row = order[rank];
        }

        public override void Read(ReadOnlySpan<float> sample, Span<float> scores, Span<float> probabilities)
        {
            if (_row < 0)
                Resolve(sample);
            sample.Slice(_row * columns + 4, columns - 4).CopyTo(scores);
            sample.Slice(_row * columns + 4, columns - 4).CopyTo(probabilities);
        }

        public override void FillSeed(Span<float> seed, int label, int? contrast)
        {
            seed.Clear();
            seed[_row * columns + 4 + label] = 1f;
            if (contrast is { } against)
                seed[_row * columns + 4 + against] = -1f;
        }
    }

    /// <summary>One step of a sequence output [steps, classes].</summary>
    private sealed class StepRow(int steps, int classes, int step) : TargetReadout
    {
        public override int SampleSize => steps * classes;
        public override int Classes => classes;

        public override void Read(ReadOnlySpan<float> sample, Span<float> scores, Span<float> probabilities)
        {
            sample.Slice(step * classes, classes).CopyTo(scores);
            MapMath.Softmax(scores[..classes], probabilities);
        }

        public override void FillSeed(Span<float> seed, int label, int? contrast)
        {
            seed.Clear();
            seed[step * classes + label] = 1f;
            if (contrast is { } against)
                seed[step * classes + against] = -1f;
        }
    }
}
