// Opens a page in Debian's Chromium, headless, and prints the page's window.glassboxResult as JSON once it is set:
// how the tests and the benchmark read the web explainer from a real browser. Needs node --experimental-websocket
// on Node 20 (WebSocket is built in from 22).   node --experimental-websocket drive.mjs URL [TIMEOUT_SECONDS]
import { spawn } from 'node:child_process';
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
  const socket = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  let id = 0;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  };
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
