// Latent Lab worker: loads MNIST and the Go core (WebAssembly), runs the
// training loop, and answers the page's requests. It holds no model logic: every
// number comes from the `latentlab` object the Go program installs.
//
// Protocol (all messages are plain objects with a `type`):
//   page → worker   {id, type: 'load'|'init'|'train'|'pause'|'snapshot'|'evaluate'|'export'|'import', ...}
//                   every request gets exactly one {type: 'reply', id, ok, result | error, fatal}
//   worker → page   {type: 'loadProgress', phase, files: [{name, loaded, total}]}
//                   {type: 'progress', step, epoch, epochProgress, steps, samples, ms, recon, disc, gen}
//                   {type: 'snapshot', ...snapshot}          (every ~2 s while training)
//                   {type: 'running', running}               (training loop started / stopped)
//                   {type: 'evalProgress', done, total}
//                   {type: 'error', message, fatal}          (training failed; fatal = Go program died)
/* global Go, latentlab */
'use strict';

const DATA_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];
const TRAIN_BUDGET_MS = 60;      // wall time per train() call: short enough that messages get through
const TRAIN_MAX_STEPS = 1000;
const SNAPSHOT_EVERY_MS = 2000; // at least; more if snapshots are slow (see snapshot())
const TEST_DIGITS = 10000;

let go = null;          // the Go runtime object; go.exited once the program died
let loaded = false;     // MNIST handed to the Go core
let running = false;    // training loop wanted
let busy = 0;           // > 0 while a long request (evaluation) holds the loop
let loopScheduled = false;
let nextSnapshot = 0;   // performance.now() after which the loop posts a snapshot
let lastStep = 0;       // training step of the current model
let generation = 0;     // bumped whenever the model is replaced (init, import)
const goOutput = [];    // last lines the Go program printed (a panic message ends up here)

// Keep the last lines Go writes (wasm_exec.js prints them with console.log /
// console.error) so that a dead program can be reported with its panic message.
for (const level of ['log', 'error', 'warn']) {
  const orig = console[level].bind(console);
  console[level] = (...args) => {
    goOutput.push(args.map(String).join(' '));
    if (goOutput.length > 20) goOutput.shift();
    orig(...args);
  };
}

/** GoDied marks a failure caused by the Go program having exited. */
class GoDied extends Error {}

/** call invokes latentlab[name] and returns its result, throwing on {error} or a dead program. */
function call(name, ...args) {
  if (go && go.exited) throw died();
  let r;
  try {
    r = latentlab[name](...args);
  } catch (e) {
    if (go && go.exited || /exited/.test(String(e && e.message))) throw died(e);
    throw new Error(`${name}: ${e && e.message || e}`);
  }
  if (go && go.exited) throw died();
  if (r === undefined || r === null) throw new Error(`${name}: the Go core returned nothing`);
  if (typeof r === 'object' && typeof r.error === 'string') throw new Error(r.error);
  return r;
}

function died(cause) {
  const tail = goOutput.filter(l => /panic|fatal|error/i.test(l)).slice(-3).join(' | ');
  const why = tail || (cause && cause.message) || 'Go program has already exited';
  return new GoDied(`The Go core stopped (${why}). Restart the worker to continue; the current model is lost.`);
}

// ---- loading ----------------------------------------------------------------

/** fetchGunzip downloads one gzipped file, reporting bytes as they arrive, and returns its gunzipped bytes. */
async function fetchGunzip(url, name, onBytes) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`${name}.gz: network error (${e.message})`);
  }
  if (!res.ok) throw new Error(`${name}.gz: HTTP ${res.status} ${res.statusText}`.trim());
  const total = Number(res.headers.get('Content-Length')) || 0;
  onBytes(0, total);
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, ctl) {
      loaded += chunk.byteLength;
      onBytes(loaded, total);
      ctl.enqueue(chunk);
    },
  });
  try {
    const raw = res.body.pipeThrough(counter).pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(raw).arrayBuffer());
  } catch (e) {
    throw new Error(`${name}.gz: download or gunzip failed (${e.message})`);
  }
}

async function loadWasm() {
  if (go) return;
  try {
    importScripts('../assets/wasm_exec.js');
  } catch (e) {
    throw new Error(`wasm_exec.js: could not load (${e.message})`);
  }
  const g = new Go();
  const url = '../assets/latentlab.wasm';
  let instance;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`latentlab.wasm: HTTP ${res.status} ${res.statusText}`.trim());
    ({instance} = await WebAssembly.instantiateStreaming(res, g.importObject));
  } catch (e) {
    throw new Error(e.message.startsWith('latentlab.wasm') ? e.message : `latentlab.wasm: ${e.message}`);
  }
  g.run(instance).then(() => { g.exited = true; });
  if (typeof globalThis.latentlab !== 'object') throw new Error('latentlab.wasm: the Go program did not install `latentlab`');
  go = g;
}

let lastLoadPost = 0;
async function load() {
  if (loaded) return info();
  const files = DATA_FILES.map(name => ({name, loaded: 0, total: 0}));
  const post = (phase, force) => {
    const now = performance.now();
    if (!force && now - lastLoadPost < 100) return;
    lastLoadPost = now;
    postMessage({type: 'loadProgress', phase, files});
  };
  post('Downloading MNIST', true);
  const wasm = loadWasm();
  const data = await Promise.all(files.map(f => fetchGunzip(`../assets/mnist/${f.name}.gz`, f.name, (n, total) => {
    f.loaded = n;
    f.total = total;
    post('Downloading MNIST');
  })));
  post('Starting the Go core', true);
  await wasm;
  const counts = call('setData', ...data);
  loaded = true;
  return {...info(), train: counts.train, test: counts.test};
}

function info() {
  return {defaults: JSON.parse(call('defaults')), presets: JSON.parse(call('presets'))};
}

// ---- training loop ------------------------------------------------------------

// One loop iteration per task; a MessageChannel schedules the next one without
// setTimeout's clamping, and the page's messages are handled in between.
const tick = new MessageChannel();
tick.port1.onmessage = () => { loopScheduled = false; step(); };
function schedule() {
  if (!loopScheduled) {
    loopScheduled = true;
    tick.port2.postMessage(0);
  }
}

function step() {
  if (!running || busy) return;
  try {
    const r = call('train', TRAIN_MAX_STEPS, TRAIN_BUDGET_MS);
    lastStep = r.step;
    postMessage({type: 'progress', ...r});
    if (performance.now() >= nextSnapshot) postSnapshot();
  } catch (e) {
    setRunning(false);
    postMessage({type: 'error', message: e.message, fatal: e instanceof GoDied});
    return;
  }
  schedule();
}

function setRunning(on) {
  if (running === on) return;
  running = on;
  postMessage({type: 'running', running});
  if (on) schedule();
}

function snapshot() {
  const t0 = performance.now();
  const s = call('snapshot');
  const t1 = performance.now();
  // Spend at most about a fifth of the worker's time drawing pictures.
  nextSnapshot = t1 + Math.max(SNAPSHOT_EVERY_MS, 4 * (t1 - t0));
  return s;
}

function postSnapshot() {
  // Copied, not transferred: the arrays belong to the Go bridge, which may reuse them.
  postMessage({type: 'snapshot', ...snapshot()});
}

// ---- evaluation ------------------------------------------------------------------

/** evaluate computes the mean reconstruction loss over all test digits in chunks, holding the training loop. */
async function evaluate(chunk) {
  busy++;
  try {
    let sum = 0, n = 0;
    const step = lastStep, gen = generation;
    for (let off = 0; off < TEST_DIGITS; off += chunk) {
      if (gen !== generation) throw new Error('evaluation cancelled: the model was replaced');
      const r = call('evaluate', off, Math.min(chunk, TEST_DIGITS - off));
      sum += r.sum;
      n += r.n;
      postMessage({type: 'evalProgress', done: off + r.n, total: TEST_DIGITS});
      await new Promise(resolve => setTimeout(resolve, 0)); // let the page's messages through
    }
    return {loss: sum / n, n, step};
  } finally {
    busy--;
    if (running) schedule();
  }
}

// ---- requests ------------------------------------------------------------------------

const handlers = {
  load,
  init({config}) {
    const r = call('init', config);
    setRunning(false);
    generation++;
    lastStep = 0;
    return r;
  },
  train() { setRunning(true); return {running}; },
  pause() { setRunning(false); return {running}; },
  snapshot() { return snapshot(); },
  evaluate({chunk}) { return evaluate(chunk || 500); },
  export({dtype}) { return call('exportWeights', dtype); },
  import({bytes}) {
    const r = call('importWeights', new Uint8Array(bytes));
    setRunning(false);
    generation++;
    lastStep = r.step;
    return r;
  },
};

onmessage = async (ev) => {
  const msg = ev.data;
  const h = handlers[msg.type];
  if (!h) {
    postMessage({type: 'reply', id: msg.id, ok: false, error: `worker: unknown request ${JSON.stringify(msg.type)}`});
    return;
  }
  try {
    const result = await h(msg);
    postMessage({type: 'reply', id: msg.id, ok: true, result});
  } catch (e) {
    postMessage({type: 'reply', id: msg.id, ok: false, error: e.message, fatal: e instanceof GoDied});
  }
};
