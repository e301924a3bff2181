// The Glassbox web explainer: an explainer exported as one ONNX model (explain export), run by onnxruntime-web
// (WASM) from this folder, on a digit drawn here or a webcam frame. No server code: any static server works.
// Query parameters: model=FILE (default model.onnx, described by FILE with .json), method=NAME picks the map shown,
// demo=7 draws a 7 on load, bench=N then explains it N times back to back and reports the rate. What a script
// driving the page reads is left in window.glassboxResult: the error, or the first explanation (and the benchmark).
import * as ort from './ort/ort.wasm.min.mjs';

ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static server does not give

const $ = (id) => document.getElementById(id);
const drawing = $('drawing'), overlay = $('overlay');
const pen = drawing.getContext('2d', { willReadFrequently: true }), paint = overlay.getContext('2d');
const params = new URLSearchParams(location.search);
const modelFile = params.get('model') ?? 'model.onnx';

let session = null, info = null, method = null, last = null;
let dirty = false, busy = false, changedAt = 0, camera = null;
const finished = [];

function status(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
  document.body.dataset.state = error ? 'error' : session ? 'ready' : 'loading';
  if (error)
    window.glassboxResult ??= { error: text };
}

async function load() {
  try {
    const response = await fetch(modelFile);
    if (!response.ok)
      throw new Error(`${modelFile}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const describedBy = modelFile.replace(/\.onnx$/, '') + '.json';
    const description = await fetch(describedBy);
    if (!description.ok)
      throw new Error(`${describedBy} (what the model takes and gives): HTTP ${description.status}`);
    info = await description.json();
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    } catch (e) {
      throw new Error(`${modelFile} is not a model ONNX Runtime can load (${e.message ?? e})`);
    }
  } catch (e) {
    status(`Could not load the explainer: ${e.message}. Build it with tools/demo.sh web, or write one with ` +
           `tools/explain.sh export --out examples/WebExplainer/model.onnx.`, true);
    return;
  }
  for (const name of info.methods) {
    const option = document.createElement('option');
    option.value = option.textContent = name;
    $('method').append(option);
  }
  method = info.methods.includes(params.get('method')) ? params.get('method') : info.methods[0];
  $('method').value = method;
  status(`${info.source}: ${info.methods.join(', ')} — draw with the mouse or a finger.`);
  if (params.get('demo') === '7')
    stroke([[70, 60], [210, 60], [120, 240]]);
  if (Number(params.get('bench')) > 0) {
    const result = await benchmark(Number(params.get('bench')));
    window.glassboxResult = result;
  }
  requestAnimationFrame(frame);
}

// N explanations of the current drawing back to back, each with its preparation and drawing: the page's own rate.
async function benchmark(count) {
  await explain(performance.now());
  const start = performance.now();
  for (let i = 0; i < count; i++)
    await explain(performance.now());
  const seconds = (performance.now() - start) / 1000;
  $('rate').textContent = (count / seconds).toFixed(1);
  dirty = false;
  // Stroke to heatmap: a new stroke, then the frames until its map is drawn.
  stroke([[150, 150], [152, 152]]);
  const drawnAt = performance.now();
  await new Promise((resolve) => requestAnimationFrame(resolve));
  await explain(drawnAt);
  dirty = false;
  return { ...last, inferencesPerSecond: count / seconds, strokeToHeatmapMs: performance.now() - drawnAt };
}

function clearCanvas() {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, drawing.width, drawing.height);
  paint.clearRect(0, 0, overlay.width, overlay.height);
  $('prediction').textContent = '–';
}

function stroke(points) {
  pen.strokeStyle = '#fff';
  pen.lineWidth = 22;
  pen.lineCap = pen.lineJoin = 'round';
  pen.beginPath();
  pen.moveTo(...points[0]);
  for (const p of points.slice(1))
    pen.lineTo(...p);
  pen.stroke();
  touched();
}

function touched() {
  dirty = true;
  changedAt = performance.now();
}

// MNIST's own preparation: the ink's bounding box scaled into 20×20, then centred by its centre of mass in 28×28.
// Returns the tensor, the transform from canvas to model pixels, and the model-sized ink for the peak check.
function prepare() {
  const { width, height } = info;
  const source = pen.getImageData(0, 0, drawing.width, drawing.height).data;
  let x0 = drawing.width, y0 = drawing.height, x1 = -1, y1 = -1;
  for (let y = 0; y < drawing.height; y++) {
    for (let x = 0; x < drawing.width; x++) {
      if (source[(y * drawing.width + x) * 4] > 32) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0)
    return null;
  const box = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const scale = (Math.min(width, height) * 20 / 28) / box;
  const small = new OffscreenCanvas(width, height), s = small.getContext('2d', { willReadFrequently: true });
  s.fillStyle = '#000';
  s.fillRect(0, 0, width, height);
  s.imageSmoothingQuality = 'high';
  let dx = (width - (x1 - x0 + 1) * scale) / 2, dy = (height - (y1 - y0 + 1) * scale) / 2;
  s.drawImage(drawing, x0, y0, x1 - x0 + 1, y1 - y0 + 1, dx, dy, (x1 - x0 + 1) * scale, (y1 - y0 + 1) * scale);
  let pixels = s.getImageData(0, 0, width, height).data, mass = 0, mx = 0, my = 0;
  for (let i = 0; i < width * height; i++) {
    const v = pixels[i * 4];
    mass += v; mx += v * (i % width); my += v * Math.floor(i / width);
  }
  const shiftX = Math.round(width / 2 - 0.5 - mx / mass), shiftY = Math.round(height / 2 - 0.5 - my / mass);
  s.fillRect(0, 0, width, height);
  dx += shiftX; dy += shiftY;
  s.drawImage(drawing, x0, y0, x1 - x0 + 1, y1 - y0 + 1, dx, dy, (x1 - x0 + 1) * scale, (y1 - y0 + 1) * scale);
  pixels = s.getImageData(0, 0, width, height).data;
  const tensor = new Float32Array(info.channels * width * height), ink = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    ink[i] = pixels[i * 4] / 255;
    for (let c = 0; c < info.channels; c++) {
      const black = info.black_level[c], white = info.white_level[c];
      tensor[c * width * height + i] = black + (pixels[i * 4 + c % 3] / 255) * (white - black);
    }
  }
  // canvas x = (model x − dx) / scale + x0
  return { tensor, ink, transform: { scale, dx, dy, x0, y0 } };
}

async function frame() {
  if (camera)
    grabCamera();
  if (dirty && !busy && session) {
    dirty = false;
    busy = true;
    const started = changedAt;
    try {
      await explain(started);
    } catch (e) {
      status(`The explainer failed on this drawing: ${e.message ?? e}`, true);
    }
    busy = false;
  }
  requestAnimationFrame(frame);
}

async function explain(started) {
  const prepared = prepare();
  if (!prepared) {
    paint.clearRect(0, 0, overlay.width, overlay.height);
    return;
  }
  const { width, height } = info;
  const feeds = { [info.input]: new ort.Tensor('float32', prepared.tensor, [1, info.channels, height, width]) };
  // SmoothGrad's noise is drawn inside the graph from this seed: the same drawing gives the same map.
  if (info.seed_input)
    feeds[info.seed_input] = new ort.Tensor('int64', BigInt64Array.from([0n]), [1]);
  const results = await session.run(feeds);
  const predicted = Number(results[info.class_output].data[0]);
  $('prediction').textContent = info.labels?.[predicted] ?? String(predicted);
  $('prediction').dataset.class = String(predicted);
  const map = results[`${method}_map_normalised`].data;
  draw(map, prepared.transform);
  // Where the map peaks, and whether ink is there (within a pixel of it, in the model's frame).
  let best = 0;
  for (let i = 1; i < map.length; i++)
    if (map[i] > map[best]) best = i;
  const px = best % width, py = Math.floor(best / width);
  let onStroke = false;
  for (let y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1); y++)
    for (let x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++)
      onStroke ||= prepared.ink[y * width + x] > 0.25;
  $('peak').textContent = `${px}, ${py} ${onStroke ? 'on the stroke' : 'off the stroke'}`;
  $('peak').dataset.onStroke = String(onStroke);
  const now = performance.now();
  finished.push(now);
  while (finished.length && finished[0] < now - 1000)
    finished.shift();
  $('rate').textContent = `${finished.length}`;
  $('latency').textContent = `${(now - started).toFixed(1)} ms`;
  last = { prediction: predicted, method, peak: [px, py], peakOnStroke: onStroke, scores: Array.from(results[info.scores_output].data) };
  if (params.get('demo') && !params.get('bench'))
    window.glassboxResult ??= last;
}

// A Turbo-like ramp: dark blue, cyan, green, yellow, red.
function colour(t) {
  const stops = [[48, 18, 59], [40, 188, 235], [164, 252, 59], [251, 185, 56], [122, 4, 3]];
  const f = Math.min(Math.max(t, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(f), stops.length - 2), u = f - i;
  return stops[i].map((a, k) => a + (stops[i + 1][k] - a) * u);
}

function draw(map, t) {
  const { width, height } = info;
  const heat = new OffscreenCanvas(width, height), h = heat.getContext('2d');
  const image = h.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = colour(map[i]);
    image.data.set([r, g, b, Math.round(90 + 120 * map[i])], i * 4);
  }
  h.putImageData(image, 0, 0);
  paint.setTransform(1, 0, 0, 1, 0, 0);
  paint.clearRect(0, 0, overlay.width, overlay.height);
  if (!$('show').checked)
    return;
  paint.imageSmoothingEnabled = true;
  paint.setTransform(1 / t.scale, 0, 0, 1 / t.scale, t.x0 - t.dx / t.scale, t.y0 - t.dy / t.scale);
  paint.drawImage(heat, 0, 0);
  paint.setTransform(1, 0, 0, 1, 0, 0);
}

async function toggleCamera() {
  if (camera) {
    camera.getTracks().forEach((track) => track.stop());
    camera = null;
    clearCanvas();
    return;
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    status('The webcam is not available here: the browser allows it only on https or localhost, with a camera attached.', true);
    return;
  }
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
    $('video').srcObject = camera;
    await $('video').play();
  } catch (e) {
    camera = null;
    status(`The webcam could not start (${e.name ?? e}); drawing still works.`, true);
  }
}

// A dark digit on light paper becomes light ink on black, as MNIST has it.
function grabCamera() {
  const video = $('video');
  if (video.readyState < 2)
    return;
  pen.drawImage(video, 0, 0, drawing.width, drawing.height);
  const image = pen.getImageData(0, 0, drawing.width, drawing.height);
  for (let i = 0; i < image.data.length; i += 4) {
    const v = 255 - (image.data[i] * 0.299 + image.data[i + 1] * 0.587 + image.data[i + 2] * 0.114);
    const ink = v > 110 ? Math.min(255, (v - 110) * 2.5) : 0;
    image.data[i] = image.data[i + 1] = image.data[i + 2] = ink;
  }
  pen.putImageData(image, 0, 0);
  touched();
}

let pointer = null;
drawing.addEventListener('pointerdown', (e) => { pointer = [e.offsetX, e.offsetY]; stroke([pointer, pointer]); drawing.setPointerCapture(e.pointerId); });
drawing.addEventListener('pointermove', (e) => { if (pointer) { const p = [e.offsetX, e.offsetY]; stroke([pointer, p]); pointer = p; } });
drawing.addEventListener('pointerup', () => { pointer = null; });
$('clear').addEventListener('click', clearCanvas);
$('camera').addEventListener('click', toggleCamera);
$('method').addEventListener('change', (e) => { method = e.target.value; touched(); });
$('show').addEventListener('change', touched);
clearCanvas();
await load();
