// Opens a page in Debian's Chromium, headless, and prints the page's window.glassboxResult as JSON once it is set:
// how the tests and the benchmark read the web explainer from a real browser, over the DevTools protocol.
//   node drive.mjs URL [TIMEOUT_SECONDS]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, timeoutText] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutText ?? 120) * 1000;
const profile = mkdtempSync(join(tmpdir(), 'glassbox-chromium-'));
const browser = spawn(process.env.CHROMIUM ?? 'chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
let browserErrors = '';
browser.stderr.on('data', (d) => { browserErrors += d; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function finish(code, text) {
  (code ? console.error : console.log)(text);
  if (browser.exitCode === null) {
    const exited = new Promise((resolve) => browser.once('exit', resolve));
    browser.kill('SIGKILL');
    await exited;
  }
  try {
    rmSync(profile, { recursive: true, force: true });
  } catch {
    // A profile the browser still held: the system's temporary folder keeps it.
  }
  process.exit(code);
}

try {
  const portFile = join(profile, 'DevToolsActivePort');
  while (!existsSync(portFile)) {
    if (Date.now() > deadline || browser.exitCode !== null)
      await finish(1, `Chromium did not start: ${browserErrors.slice(-2000)}`);
    await sleep(50);
  }
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  let page;
  while (!(page = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()).find((t) => t.type === 'page')))
    await sleep(50);
  let id = 0;
  const pending = new Map();
  const socket = await connect(page.webSocketDebuggerUrl, (text) => {
    const message = JSON.parse(text);
    if (pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  });
  const send = (method, params = {}) => new Promise((resolve) => {
    pending.set(++id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
  await send('Page.navigate', { url });
  while (Date.now() < deadline) {
    const reply = await send('Runtime.evaluate', { expression: 'JSON.stringify(window.glassboxResult ?? null)', returnByValue: true });
    const value = reply.result?.result?.value;
    if (value && value !== 'null')
      await finish(0, value);
    await sleep(100);
  }
  const dom = await send('Runtime.evaluate', { expression: "document.getElementById('status')?.textContent ?? ''", returnByValue: true });
  await finish(1, `The page set no result in time; its status line: ${dom.result?.result?.value}`);
} catch (e) {
  await finish(1, `Driving Chromium failed: ${e.message ?? e}`);
}

// A WebSocket client, as much of RFC 6455 as the DevTools protocol needs (text messages, masked from the client),
// so any Node.js from Debian's 18 on can drive the browser without flags or packages.
function connect(url, onMessage) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = request(url.replace(/^ws:/, 'http:'), {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key },
    });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`the browser refused the WebSocket (HTTP ${res.statusCode})`)));
    req.on('upgrade', (_res, tcp) => {
      let buffer = Buffer.alloc(0), parts = [];
      tcp.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          if (buffer.length < 2)
            return;
          const fin = buffer[0] & 0x80, opcode = buffer[0] & 0x0f;
          let length = buffer[1] & 0x7f, offset = 2;
          if (length === 126) {
            if (buffer.length < 4) return;
            length = buffer.readUInt16BE(2); offset = 4;
          } else if (length === 127) {
            if (buffer.length < 10) return;
            length = Number(buffer.readBigUInt64BE(2)); offset = 10;
          }
          if (buffer.length < offset + length)
            return;
          const payload = buffer.subarray(offset, offset + length);
          buffer = buffer.subarray(offset + length);
          if (opcode === 0x1 || opcode === 0x0) {
            parts.push(payload);
            if (fin) {
              onMessage(Buffer.concat(parts).toString('utf8'));
              parts = [];
            }
          }
        }
      });
      resolve({
        send(text) {
          const data = Buffer.from(text, 'utf8'), mask = randomBytes(4);
          const header = data.length < 126 ? Buffer.from([0x81, 0x80 | data.length])
            : data.length < 65536 ? Buffer.from([0x81, 0x80 | 126, data.length >> 8, data.length & 0xff])
            : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(data.length)); return b; })()]);
          const masked = Buffer.alloc(data.length);
          for (let i = 0; i < data.length; i++)
            masked[i] = data[i] ^ mask[i % 4];
          tcp.write(Buffer.concat([header, mask, masked]));
        },
      });
    });
    req.end();
  });
}
