// Latent Lab worker: loads MNIST and the Go core (WebAssembly) and answers the
// page's requests. It holds no model logic: every number comes from the
// `latentlab` object the Go program installs. The page (js/app.js) runs one
// or more of these workers; with several, each holds a data-parallel replica
// of the model, their gradients are summed through a SharedArrayBuffer and
// each updates its part of the parameters (see reduce and gather below). The page drives training in rounds: it asks every
// worker to run the same number of steps.
//
// The page downloads the Go core and MNIST (js/assets.js) and hands them over.
//
// Protocol (all messages are plain objects with a `type`):
//   page → worker   {id, type, ...}; every request gets exactly one
//                   {type: 'reply', id, ok, result | error, fatal, timing}; timing lists the
//                   phases timed since the last reply, {name, start, end} in epoch ms.
//   The Go core's requests are named by the Go core (wasm/main.go, latentlab.protocol()): the
//   worker calls the latentlab function of that name with the request's fields the Go core
//   lists, in order (init {config}, importWeights {bytes}, retune {config, curves},
//   exportWeights {dtype}, checkpoint {curves}, stepPhase {phase, count}, pick {x, y},
//   decodeAt {x, y}, traverse {n, range}, interpolate {i, j}, encodeDigit {pixels},
//   setScorer {bytes}, score; see each function's comment in wasm/). The worker's own:
//     start {module}                run the Go core (a compiled WebAssembly.Module) → {defaults, presets, options,
//                                   figures (figures.All: every loss's and measure's label), kinds, features,
//                                   requests (every request's name: the Go core's and these),
//                                   reducer (the reducer buffer's layout: headerBytes, ctlGen, ctlAbort)}
//     data {data}                   the four MNIST idx files (Uint8Arrays); waits for start → {train, test}
//     shard {index, count}          make this worker replica index of count (count 1: whole)
//     reducer {sab, slotBytes}      the shared buffer for the gradient sums of the current model
//     train {steps}                 exactly `steps` training steps → the Go core's train result, memory,
//                                   time {train, reduce, wait}: ms in it, in gradient sums, at their barrier
//     snapshot {options}            the live views' data (options: latentView, rawPCA); every replica is asked
//                                   (they split the figures over test digits), replica 0 returns the views
//     sample {n, chunk}             n digits drawn pixel by pixel, chunk pixels at a time
//     metrics                       train.Session.Metrics over the test set, posting evalProgress as it goes
//     save {curves} | restore {want}   the checkpoint into / out of the browser's store (js/store.js); replica 0
//                                   writes, every replica reads → {step, savedAt} | {error}; importWeights's result +
//                                   savedAt, null (none saved) or {differs} (its config lacks want's values)
//     checksum                      SHA-256 of the model's F32 file, to check that replicas are identical
//   Requests that every replica must be asked, in the same order: train, snapshot, retune,
//   checkpoint, save (the replicas sum or gather in them).
//   worker → page   {type: 'evalProgress', done, total} (done/total of an evaluation)
//                   {type: 'sampleProgress', id, pixels, n, done} between chunks of a sample
/* global Go, latentlab */
'use strict';
const WORKER_T0 = performance.now(); // the script starts running (its own clock: 0 is the worker's creation)

const BARRIER_TIMEOUT_MS = 30_000;

// Layout of the reducer's SharedArrayBuffer: a header of Int32 control words,
// then two sets (parities) of `count` slots of slotBytes each.
const CTL_ARRIVED = 0;  // replicas that reached the barrier in this generation
const CTL_GEN = 1;      // barrier generation, bumped by the last arrival
const CTL_ABORT = 2;    // set to 1 by the page to make every waiting replica fail at once
const HEADER_BYTES = 64;

let go = null;          // the Go runtime object; go.exited once the program died
let protocol = {};      // the Go core's requests (latentlab.protocol()): name → {args, replaces}
let instance = null;    // the wasm instance (its memory size is reported)
let loaded = false;     // MNIST handed to the Go core (setData succeeded)
let generation = 0;     // bumped whenever the model is replaced (init, import)
let shard = {index: 0, count: 1};
let reducer = null;     // {sab, ctl, slotBytes, calls}
// Where training time goes, since the last train reply (ms): in the Go core's
// train call, and within it in gradient sums (copies and adds) and waiting at
// their barrier for the other replicas. The page sums them (stats.time).
const spent = {train: 0, reduce: 0, wait: 0};
const goOutput = [];    // last lines the Go program printed (a panic message ends up here)
const timings = [];     // spans not yet sent to the page: {name, start, end} in ms since the Unix epoch
const timed = new Set(); // names of the once-only spans already recorded (first train, first snapshot)

/**
 * span records the phase name from t0 to t1 (performance.now() of this
 * worker) as a performance measure and queues it for the page, which gets it
 * with the next reply (times in epoch ms, since the page's clock has another origin).
 */
function span(name, t0, t1 = performance.now()) {
  try { performance.measure(name, {start: t0, end: t1}); } catch { /* no User Timing: the page still gets it */ }
  timings.push({name, start: performance.timeOrigin + t0, end: performance.timeOrigin + t1});
}

span('worker script starts', 0, WORKER_T0);

/** once records span name only the first time it is called with that name. */
function once(name, t0) {
  if (timed.has(name)) return;
  timed.add(name);
  span(name, t0);
}

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

// wasm_exec.js loads while the page is still downloading the Go core.
let execError = null;
try {
  const t0 = performance.now();
  importScripts('../assets/wasm_exec.js');
  span('wasm_exec.js', t0);
} catch (e) {
  execError = new Error(`wasm_exec.js: could not load (${e.message})`);
}

let started = null; // promise of the last start request: data waits for it

/** start runs the compiled Go core (a WebAssembly.Module from the page) in this worker. */
function start({module}) {
  started = runGo(module);
  return started;
}

async function runGo(module) {
  if (!go) {
    if (execError) throw execError;
    const g = new Go();
    let t0 = performance.now();
    try {
      instance = await WebAssembly.instantiate(module, g.importObject);
    } catch (e) {
      throw new Error(`latentlab.wasm: ${e.message}`);
    }
    span('wasm instantiate', t0);
    t0 = performance.now();
    g.run(instance).then(() => { g.exited = true; });
    span('Go start (runs main)', t0);
    if (typeof globalThis.latentlab !== 'object') throw new Error('latentlab.wasm: the Go program did not install `latentlab`');
    go = g;
    protocol = JSON.parse(call('protocol'));
  }
  return info();
}

/** data hands the four MNIST idx files (Uint8Arrays, shared or transferred by the page) to the Go core. */
async function data({data}) {
  if (!started) throw new Error('worker: MNIST data came before the Go core');
  await started;
  const t0 = performance.now();
  const counts = call('setData', ...data);
  span(`Go setData (${(data.reduce((s, a) => s + a.byteLength, 0) / 2 ** 20).toFixed(0)} MiB)`, t0);
  loaded = true;
  return {train: counts.train, test: counts.test};
}

function info() {
  return {
    defaults: JSON.parse(call('defaults')),
    presets: JSON.parse(call('presets')),
    options: JSON.parse(call('options')),
    figures: JSON.parse(call('figures')),
    kinds: JSON.parse(call('kinds')),
    features: {score: 'score' in protocol},
    requests: [...Object.keys(protocol), ...Object.keys(handlers)],
    // The reducer buffer's layout, which this file owns: the page sizes the
    // buffer and aborts waiting replicas with it.
    reducer: {headerBytes: HEADER_BYTES, ctlGen: CTL_GEN, ctlAbort: CTL_ABORT},
  };
}

// ---- the gradient sums and the parameters' parts ---------------------------------

/*
 * The sums: when this worker is one of several replicas, the Go core calls
 * reduce and then gather at each optimizer update (model.Shard). Each
 * replica steps the optimizer on its own part of the parameters: reduce
 * sums that part of the gradient over the replicas, gather hands every
 * replica the others' updated parts. Replica k's part of m numbers is
 * [⌊m·k/count⌋, ⌊m·(k+1)/count⌋); the views' figures go the same way (a
 * reduce and a gather make a sum for all). Both work on the Go core's own
 * memory (goMemory), where the Go core says the numbers lie: nothing is
 * copied but into, out of and across the shared slots.
 *
 * reduce(addr, n, lo, hi): memory bytes [addr, addr+n) hold this replica's
 * gradient (float32, little-endian); the replica copies it into its own
 * slot, waits at the barrier until every replica has done the same, then
 * sums bytes [lo, hi) of all slots, in replica order 0, 1, ... so that all
 * replicas get the same bits, into memory [addr+lo, addr+hi).
 *
 * gather(addr, n, lo, hi, bounds): memory [addr+lo, addr+hi) holds this
 * replica's updated part; it goes into the same range of the replica's own
 * slot, and after the barrier every other replica's part, bytes
 * [bounds[k], bounds[k+1]) as the Go core splits them, comes from that
 * replica's slot into memory at addr.
 *
 * The slots come in two sets, used by the parity of the call (reduce and
 * gather each count one; every replica makes the same calls in the same
 * order, so they agree on it). A replica that has passed call c's barrier
 * may run ahead to call c+1 and write its slot there, but that is in the
 * other set; it cannot write call c's set again (call c+2) before passing
 * the barrier of c+1, which needs every replica there, that is, done
 * reading call c's set. (Gathers follow each other without a sum between
 * them when a checkpoint gathers the optimizers' moments: with one set for
 * both, a replica's next part would overwrite the one a slower replica was
 * still reading.)
 */
function reduce(addr, n, lo, hi) {
  const r = reducer;
  if (!r) throw new Error('worker: the Go core asked for a gradient sum, but the page gave no shared buffer');
  checkPart(r, n, lo, hi);
  const {index, count} = shard;
  const t0 = performance.now();
  const mem = goMemory();
  r.base = HEADER_BYTES + (r.calls++ & 1) * count * r.slotBytes;
  new Uint8Array(r.sab, r.base + index * r.slotBytes, n).set(new Uint8Array(mem, addr, n));
  const t1 = performance.now();
  barrier(r.ctl, count);
  const t2 = performance.now();
  const len = (hi - lo) / 4;
  const out = new Float32Array(mem, addr + lo, len);
  out.set(new Float32Array(r.sab, r.base + lo, len));
  for (let k = 1; k < count; k++) {
    const s = new Float32Array(r.sab, r.base + k * r.slotBytes + lo, len);
    for (let i = 0; i < len; i++) out[i] += s[i]; // rounded to float32 at each store, as Go would add
  }
  spent.wait += t2 - t1;
  spent.reduce += (t1 - t0) + (performance.now() - t2);
}

function gather(addr, n, lo, hi, bounds) {
  const r = reducer;
  if (!r) throw new Error('worker: the Go core asked to gather parameters, but the page gave no shared buffer');
  checkPart(r, n, lo, hi);
  const {index, count} = shard;
  const t0 = performance.now();
  const mem = goMemory();
  // A set of slots of its own, as every sum has: a replica that gathers
  // again (a checkpoint gathers each optimizer's moments in turn) must not
  // write its part where a slower one still reads the last gather's.
  r.base = HEADER_BYTES + (r.calls++ & 1) * count * r.slotBytes;
  new Uint8Array(r.sab, r.base + index * r.slotBytes + lo, hi - lo).set(new Uint8Array(mem, addr + lo, hi - lo));
  const t1 = performance.now();
  barrier(r.ctl, count);
  const t2 = performance.now();
  const out = new Uint8Array(mem, addr, n);
  for (let k = 0; k < count; k++) {
    if (k === index) continue;
    const a = bounds[k], b = bounds[k + 1];
    out.set(new Uint8Array(r.sab, r.base + k * r.slotBytes + a, b - a), a);
  }
  spent.wait += t2 - t1;
  spent.reduce += (t1 - t0) + (performance.now() - t2);
}

/** goMemory is the Go core's memory as it is now (a memory that grew has a new buffer). */
function goMemory() {
  return instance.exports.mem.buffer;
}

/** checkPart throws unless n bytes fit the slots and [lo, hi) lies within them. */
function checkPart(r, n, lo, hi) {
  if (n > r.slotBytes || n % 4 !== 0) throw new Error(`worker: ${n} bytes to sum do not fit slots of ${r.slotBytes}`);
  if (!(0 <= lo && lo <= hi && hi <= n)) throw new Error(`worker: the Go core's part [${lo}, ${hi}) is not within ${n} bytes`);
}

/** barrier returns once all count replicas have called it; it throws after BARRIER_TIMEOUT_MS or on an abort by the page. */
function barrier(ctl, count) {
  // Read the generation before arriving: it cannot move until this replica has arrived.
  const gen = Atomics.load(ctl, CTL_GEN);
  if (Atomics.add(ctl, CTL_ARRIVED, 1) === count - 1) {
    // Last to arrive: reset the count before releasing the others, who do not touch it until then.
    Atomics.store(ctl, CTL_ARRIVED, 0);
    Atomics.add(ctl, CTL_GEN, 1);
    Atomics.notify(ctl, CTL_GEN);
    return;
  }
  const deadline = performance.now() + BARRIER_TIMEOUT_MS;
  while (Atomics.load(ctl, CTL_GEN) === gen) {
    if (Atomics.load(ctl, CTL_ABORT)) throw new Error(`worker ${shard.index}: training aborted by the page`);
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new Error(`worker ${shard.index}: waited ${BARRIER_TIMEOUT_MS / 1000} s for the other workers at a gradient sum; one of them died or stalled`);
    }
    Atomics.wait(ctl, CTL_GEN, gen, left);
  }
}

// ---- evaluation ------------------------------------------------------------------

/**
 * sample draws n digits pixel by pixel, chunk pixels (raster order) per call
 * into the Go core, and posts what is drawn so far after each call so that the
 * page can show the digits as they appear. A model that cannot draw a run of
 * pixels at a time draws whole digits in one call. If the model is replaced
 * meanwhile, it stops and returns {cancelled: true}.
 */
async function sample(id, n, chunk) {
  const gen = generation;
  const b = call('sampleBegin', n);
  let r = null;
  for (let from = 0; from < 784;) {
    if (gen !== generation) return {cancelled: true}; // the model was replaced: its samples are moot
    const to = b.rows ? Math.min(784, from + chunk) : 784;
    r = call('sampleRows', from, to);
    from = r.done;
    if (from < 784) {
      postMessage({type: 'sampleProgress', id, pixels: r.pixels, n: b.n, done: from});
      await new Promise(resolve => setTimeout(resolve, 0)); // let the page's messages through
    }
  }
  return {pixels: r.pixels, n: b.n, done: 784};
}

/** hex formats a digest. */
function hex(buf) {
  return [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
}

// ---- requests ------------------------------------------------------------------------

/** store loads js/store.js (IndexedDB), once. */
let storeModule = null;
function store() {
  return storeModule || (storeModule = import('./store.js'));
}

/**
 * goRequest answers a request the Go core names (protocol): the function
 * of that name, called with msg's fields in the order the Go core lists
 * them (an ArrayBuffer as a Uint8Array).
 */
function goRequest(msg) {
  const {args, replaces} = protocol[msg.type];
  const t0 = performance.now();
  const r = call(msg.type, ...args.map(k => msg[k] instanceof ArrayBuffer ? new Uint8Array(msg[k]) : msg[k]));
  once(`Go ${msg.type} (first)`, t0);
  return replaces ? replaced(r) : r;
}

function replaced(r) {
  generation++;
  if (reducer) reducer.calls = 0;
  return r;
}

const handlers = {
  start,
  data,
  shard({index, count}) {
    const r = call('setShard', index, count, reduce, gather);
    shard = {index, count};
    return r;
  },
  reducer({sab, slotBytes}) {
    reducer = {sab, ctl: new Int32Array(sab, 0, HEADER_BYTES / 4), slotBytes, calls: 0};
    return {slotBytes};
  },
  train({steps}) {
    const t0 = performance.now();
    const r = call('train', steps, Infinity);
    spent.train += performance.now() - t0;
    once(`Go train (${timed.has('train1') ? 'second' : 'first'} round, ${steps} step${steps === 1 ? '' : 's'})`, t0);
    timed.add(timed.has('train1') ? 'train2' : 'train1');
    const time = {...spent};
    spent.train = spent.reduce = spent.wait = 0;
    return {...r, memory: instance.exports.mem.buffer.byteLength, time};
  },
  snapshot({options}) {
    const t0 = performance.now();
    const r = call('snapshot', JSON.stringify(options || {}));
    once('Go snapshot (first)', t0);
    return r;
  },
  sample({id, n, chunk}) { return sample(id, n, chunk || 28); },
  metrics() { return call('metrics', f => postMessage({type: 'evalProgress', done: f, total: 1})); },
  /** save: the checkpoint, as checkpoint, written to the browser's store by replica 0 → {step, savedAt} or {error}. */
  async save({curves}) {
    const r = call('checkpoint', curves);
    if (!r.bytes) return {step: r.step};
    const s = await (await store()).save({bytes: r.bytes, step: r.step, config: r.config});
    return s.error ? s : {step: r.step, savedAt: s.savedAt};
  },
  /**
   * restore: the model saved in the browser, imported as by import → its
   * result and savedAt; null if none is saved; {differs: true}, importing
   * nothing, if want (config fields) names a value the saved model's
   * config does not have.
   */
  async restore({want}) {
    const rec = await (await store()).load();
    if (rec === null) return null;
    if (rec.error) throw new Error(`could not read the saved model: ${rec.error}`);
    if (want) {
      let c = {};
      try { c = JSON.parse(rec.config); } catch { /* an older record: no config to compare */ }
      if (Object.entries(want).some(([k, v]) => JSON.stringify(c[k]) !== JSON.stringify(v))) return {differs: true};
    }
    return {...replaced(call('importWeights', rec.bytes)), savedAt: rec.savedAt};
  },
  /** checksum: SHA-256 of the model's F32 file, to check that replicas are identical. */
  async checksum() {
    const r = call('exportWeights', 'F32');
    return {sha256: hex(await crypto.subtle.digest('SHA-256', r.bytes)), bytes: r.bytes.byteLength};
  },
};

onmessage = async (ev) => {
  const msg = ev.data;
  const h = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : Object.hasOwn(protocol, msg.type) ? goRequest : null;
  if (!h) {
    postMessage({type: 'reply', id: msg.id, ok: false, error: `worker: unknown request ${JSON.stringify(msg.type)}`});
    return;
  }
  try {
    const result = await h(msg);
    // A file's bytes move to the page rather than being copied.
    const transfer = result && result.bytes instanceof Uint8Array ? [result.bytes.buffer] : [];
    postMessage({type: 'reply', id: msg.id, ok: true, result, timing: timings.splice(0)}, transfer);
  } catch (e) {
    postMessage({type: 'reply', id: msg.id, ok: false, error: e.message, fatal: e instanceof GoDied, timing: timings.splice(0)});
  }
};
