// Runs an exported explainer (tools/explain.sh export) in onnxruntime-node, with no Glassbox code: reads a
// little-endian float32 input of the given shape, runs the model, and writes every output as JSON
// ({ name: { dims, type, data } }) so a test can compare them with what the library computes. A model with a
// second input (SmoothGrad's int64 noise seed) gets SEED there.
//   node tests/node/run-exported-explainer.mjs MODEL.onnx INPUT.bin 1,1,28,28 OUT.json [SEED]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [model, inputFile, shapeText, outFile, seedText] = process.argv.slice(2);
if (!outFile) {
  console.error('usage: run-exported-explainer.mjs MODEL.onnx INPUT.bin N,C,H,W OUT.json [SEED]');
  process.exit(2);
}
const dims = shapeText.split(',').map(Number);
const bytes = readFileSync(inputFile);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(data), dims) };
if (session.inputNames.length > 1) {
  feeds[session.inputNames[1]] = new ort.Tensor('int64', BigInt64Array.from([BigInt(seedText ?? '0')]), [1]);
}
const results = await session.run(feeds);
const out = {};
for (const [name, tensor] of Object.entries(results)) {
  out[name] = { dims: tensor.dims, type: tensor.type, data: Array.from(tensor.data, (v) => Number(v)) };
}
writeFileSync(outFile, JSON.stringify(out));
console.log(`${model}: ${Object.keys(out).join(', ')}`);
