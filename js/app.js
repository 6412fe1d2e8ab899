// Latent Lab page flow: start the workers, build the config form, drive
// training, and show what the workers report. All model work happens in the
// workers (js/worker.js) inside the Go core; this file only moves messages and
// calls the drawing verbs in ui.js.
//
// Several workers train data-parallel replicas of one model: each runs the
// same steps on its share of every batch and they sum their gradients through
// a SharedArrayBuffer (js/worker.js, reduce). This page coordinates them in
// rounds: every worker is asked for the same number of steps, sized so that a
// round takes about ROUND_TARGET_MS; the replicas' losses (each its share)
// are summed. Snapshots, evaluation and export come from worker 0 alone (the
// replicas are identical); init and import go to every worker. Without
// SharedArrayBuffer (no cross-origin isolation) the page runs one worker.
//
// Page states (document.body.dataset.state):
//   loading   workers are fetching MNIST and the Go core
//   ready     a fresh model is built and has not been trained
//   training  the training rounds are running
//   paused    training stopped (by the user, an import, or the end of ?steps)
//   error     nothing works until the user acts: data failed to load, or a worker or Go core died
// Recoverable failures (bad config, bad import) show the error banner but keep the state.
//
// URL parameters, for benchmarks and tests:
//   ?preset=NAME    build the named preset (default, paper) instead of the remembered config
//   ?workers=N      run N workers (1..8) instead of the default min(hardwareConcurrency, 4)
//   ?autostart=1    start training as soon as the model is ready
//   ?steps=N        train exactly N steps, then pause; rounds are then of at most
//                   STEPS_ROUND steps regardless of timing, so the displayed losses are reproducible
//   ?noshared=1     behave as if SharedArrayBuffer were unavailable (the one-worker fallback)
//   ?timing=1       log the start-up phases (page and workers) to the console once the first
//                   snapshot after training is drawn
// After the first completed training round, document.body.dataset.firstStepMs
// holds performance.now() (ms since navigation start); after the first
// snapshot taken by the training loop, dataset.firstSnapshotMs. The start-up
// phases are User Timing measures (workers' too, on their own timelines) and
// window.latentlab.timing() lists them on the page's clock. window.latentlab
// holds a few read-only hooks for tests and benchmarks (see the end of this file).
//
// Start-up is arranged so that nothing waits on what it need not: the page
// downloads the Go core (compiled while it streams) and MNIST (gunzipped while
// it streams) at once, as its first act (js/assets.js); the workers start
// meanwhile, run the Go core as soon as it is compiled, and get MNIST when it
// is in. With ?autostart=1 the first training round runs before the first
// snapshot.
import * as ui from './ui.js';
import {compileWasm, fetchData} from './assets.js';

const APP_T0 = performance.now(); // app.js starts running

const STORAGE_KEY = 'latentlab.config.v1';
const EVAL_CHUNK = 500;
const MAX_WORKERS = 8;
const ROUND_TARGET_MS = 80;     // wall time of one training round
const ROUND_MAX_STEPS = 1000;
const STEPS_ROUND = 10;         // round size under ?steps=N
const SNAPSHOT_EVERY_MS = 2000; // at least; more if snapshots are slow
const HEADER_BYTES = 64;        // control words at the start of the reducer buffer (see worker.js)
const CTL_GEN = 1, CTL_ABORT = 2;

// How each config field is shown. Fields the Go core adds later without an
// entry here still appear (labelled by their key, typed by their default value).
const FIELDS = {
  model: {label: 'Model', options: {aae: 'Adversarial', ae: 'Plain AE'},
    tip: 'aae: a discriminator pushes the codes toward the prior; ae: reconstruction only'},
  latent: {label: 'Latent dims', min: 1, step: 1, tip: 'Size of the code z (2 can be plotted directly)'},
  encoder: {label: 'Encoder widths', list: true, full: true,
    tip: 'Hidden layer widths, input side first, comma separated; the decoder mirrors them'},
  discriminator: {label: 'Discriminator widths', list: true, full: true, aae: true,
    tip: 'Hidden layer widths of the discriminator on codes, comma separated'},
  activation: {label: 'Activation', options: {relu: 'ReLU', leakyrelu: 'LeakyReLU (0.2)', tanh: 'tanh', sigmoid: 'sigmoid'},
    tip: 'Hidden-layer nonlinearity (the decoder output is always a sigmoid)'},
  prior_std: {label: 'Prior σ', min: 0, step: 'any', aae: true, tip: 'Standard deviation of the Gaussian prior p(z) = N(0, σ²I)'},
  batch: {label: 'Batch size', min: 1, step: 1, tip: 'Images per training step'},
  optimizer: {label: 'Optimizer', options: {adam: 'Adam', sgd: 'SGD + momentum'}, tip: 'Update rule for every phase'},
  lr_recon: {label: 'LR reconstruction', min: 0, step: 'any', tip: 'Learning rate of the reconstruction phase (encoder and decoder)'},
  lr_reg: {label: 'LR regularisation', min: 0, step: 'any', aae: true,
    tip: 'Learning rate of the adversarial phase (discriminator, then encoder as generator)'},
  beta1: {label: 'Adam β₁', min: 0, step: 'any', when: c => c.optimizer === 'adam', tip: 'Adam first-moment decay'},
  beta2: {label: 'Adam β₂', min: 0, step: 'any', when: c => c.optimizer === 'adam', tip: 'Adam second-moment decay'},
  momentum: {label: 'Momentum', min: 0, step: 'any', when: c => c.optimizer === 'sgd', tip: 'SGD momentum'},
  seed: {label: 'Seed', min: 0, step: 1, tip: 'Seeds the weights, the batch order and the prior samples'},
};

const params = new URLSearchParams(location.search);
const forceNoShared = params.get('noshared') === '1';
const sharedOK = !forceNoShared && typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
const DEFAULT_WORKERS = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
const stepsParam = params.has('steps') ? Math.max(1, Math.floor(Number(params.get('steps'))) || 1) : null;

let workers = [];            // the Worker objects; workers[0] serves snapshots, evaluation and export
let workerCount = sharedOK ? clampWorkers(Number(params.get('workers')) || DEFAULT_WORKERS) : 1;
let epoch = 0;               // bumped when the workers are replaced; messages of older ones are dropped
// The Go core and MNIST, downloaded by the page (js/assets.js) for every worker:
// promises of the WebAssembly.Module and of the four idx files. A failed one
// is dropped so that Retry downloads it again; the data is kept for later
// workers only when shared (without SharedArrayBuffer it is transferred to the one worker).
const assets = {module: null, data: null};
let reducerSab = null;       // the gradient buffer of the current model (several workers only)
let nextId = 1;
const pending = new Map();   // request id → {resolve, reject}
let defaults = null;         // config object from latentlab.defaults()
let presets = {};            // name → config
let model = null;            // {config, params} of the model in the workers
let snap = null;             // last snapshot
let evaluating = false;
let samplesPerSec = null;
let running = false;         // training rounds wanted
let loop = null;             // promise of the running training loop
let round = null;            // promise of the round in flight
let hold = null;             // promise that holds the loop between rounds (evaluation)
let roundSteps = 1;          // steps per round, adapted to ROUND_TARGET_MS
let stepsLeft = stepsParam ?? Infinity;
// Counters since the page loaded, for benchmarks: at is performance.now() at the end of the last round.
const stats = {steps: 0, samples: 0, at: null, wasmBytes: 0, loss: null};
const loss = {};             // loss name → ui.History, for the current model's loss names
// How the loss curves label the losses models report (others show their name).
const LOSS_LABELS = {
  recon: {label: 'Reconstruction (BCE)', color: '#4f46e5', unit: 'nats'},
  disc: {label: 'Discriminator (BCE)', color: '#d97706'},
  gen: {label: 'Generator (BCE)', color: '#059669'},
};
const LOSS_COLORS = ['#4f46e5', '#d97706', '#059669', '#db2777', '#0891b2', '#65a30d', '#7c3aed', '#b91c1c'];
const $ = id => document.getElementById(id);
const timing = [];           // the start-up phases: {name, start, end} in ms since navigation (page and workers)
const timingLog = params.get('timing') === '1';

/**
 * span records the start-up phase name from t0 to t1 (performance.now()) as a
 * performance measure and in timing; the first rounds and snapshots are timed once.
 */
function span(name, t0, t1 = performance.now()) {
  try { performance.measure(name, {start: t0, end: t1}); } catch { /* no User Timing */ }
  timing.push({name, start: t0, end: t1});
}

/** workerSpans adds the phases worker i timed (epoch ms) to timing, on the page's clock. */
function workerSpans(i, list) {
  for (const t of list) span(`w${i}: ${t.name}`, t.start - performance.timeOrigin, t.end - performance.timeOrigin);
}

/** reportTiming logs the start-up breakdown once (?timing=1). */
function reportTiming() {
  document.body.dataset.firstSnapshotMs = String(Math.round(performance.now()));
  if (!timingLog) return;
  const rows = [...timing].sort((a, b) => a.start - b.start)
    .map(t => ({phase: t.name, start: Math.round(t.start), end: Math.round(t.end), ms: Math.round(t.end - t.start)}));
  console.log('latentlab start-up (ms since navigation):\n' + rows.map(r =>
    `${String(r.start).padStart(6)} → ${String(r.end).padStart(6)} ${String(r.ms).padStart(6)} ms  ${r.phase}`).join('\n'));
}

function clampWorkers(n) {
  return Math.max(1, Math.min(MAX_WORKERS, Math.floor(n) || 1));
}

// ---- worker plumbing ------------------------------------------------------------

/** startWorkers replaces the workers by k new ones (not yet loaded). */
function startWorkers(k) {
  stopWorkers();
  const e = ++epoch;
  workerCount = k;
  workers = Array.from({length: k}, (_, i) => {
    const w = new Worker(new URL('./worker.js', import.meta.url));
    w.onmessage = ev => { if (e === epoch) onWorkerMessage(i, ev.data); };
    w.onerror = ev => {
      ev.preventDefault();
      if (e === epoch) died(`Worker ${i + 1} of ${k} crashed: ${ev.message || 'script error'}.`);
    };
    return w;
  });
  showWorkerCount();
}

/** stopWorkers ends every worker; replicas waiting at a gradient sum are released first. */
function stopWorkers() {
  running = false;
  if (reducerSab) {
    const ctl = new Int32Array(reducerSab, 0, HEADER_BYTES / 4);
    Atomics.store(ctl, CTL_ABORT, 1);
    Atomics.notify(ctl, CTL_GEN);
    reducerSab = null;
  }
  for (const w of workers) w.terminate();
  workers = [];
  epoch++;
  for (const p of pending.values()) p.reject(Object.assign(new Error('the workers were stopped'), {fatal: true}));
  pending.clear();
}

/** request sends one request to worker i and resolves with its result (rejects with its error). */
function request(i, type, payload = {}, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    if (!workers[i]) {
      reject(Object.assign(new Error('no worker'), {fatal: true}));
      return;
    }
    pending.set(id, {resolve, reject});
    workers[i].postMessage({id, type, ...payload}, transfer);
  });
}

/** requestAll sends the same request to every worker and resolves with their results in worker order. */
function requestAll(type, payload = () => ({})) {
  return Promise.all(workers.map((_, i) => request(i, type, payload(i))));
}

function onWorkerMessage(i, m) {
  switch (m.type) {
    case 'reply': {
      if (m.timing && m.timing.length) workerSpans(i, m.timing);
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error), {fatal: m.fatal}));
      if (m.fatal) died(workerCount > 1 ? `Worker ${i + 1}: ${m.error}` : m.error);
      return;
    }
    case 'evalProgress': return ui.setBar('eval-progress', m.done / m.total);
  }
}

/** died reports a dead worker or Go program, stops all workers and offers a restart. */
function died(message) {
  if (state() === 'error' && !$('error-restart').hidden) return;
  for (const p of pending.values()) p.reject(Object.assign(new Error(message), {fatal: true}));
  pending.clear();
  stopWorkers();
  setState('error');
  ui.showError(message, {restart: restartWorkers});
}

/** restartWorkers starts fresh workers and builds the remembered config (the old model is lost). */
function restartWorkers() {
  model = null;
  startWorkers(workerCount);
  load();
}

/** fetchAssets starts the downloads that are not done or under way (see assets) and returns the promises. */
function fetchAssets() {
  if (!assets.module) {
    const p = assets.module = compileWasm(span);
    p.catch(() => { if (assets.module === p) assets.module = null; });
  }
  if (!assets.data) {
    let last = 0;
    const p = assets.data = fetchData({
      shared: sharedOK,
      span,
      onProgress(files) {
        const now = performance.now();
        if (now - last < 100 && files.some(f => f.loaded < f.total)) return;
        last = now;
        showLoadProgress({phase: 'Downloading MNIST', files});
      },
    });
    p.then(() => { $('loading-phase').textContent = 'Starting the Go core…'; }, () => { if (assets.data === p) assets.data = null; });
  }
  return {module: assets.module, data: assets.data};
}

/**
 * loadWorkers hands the Go core and MNIST to every worker as soon as each
 * arrives (the Go core starts while MNIST still downloads) and makes the
 * workers replicas; it resolves with worker 0's start result (defaults, presets).
 */
async function loadWorkers() {
  const {module, data} = fetchAssets();
  const t0 = performance.now();
  // start is posted in a reaction to module registered before the one that
  // posts data (Promise.all reacts later still): every worker gets start first.
  const started = module.then(m => requestAll('start', () => ({module: m})));
  const fed = Promise.all([data, module]).then(([d]) => {
    if (sharedOK) return requestAll('data', () => ({data: d}));
    assets.data = null; // transferred: a later worker downloads it again
    return request(0, 'data', {data: d}, d.map(a => a.buffer));
  });
  const [starts] = await Promise.all([started, fed]);
  span('page: workers have the Go core and MNIST', t0);
  if (workerCount > 1) await requestAll('shard', i => ({index: i, count: workerCount}));
  return starts[0];
}

/**
 * replicate repeats on workers 1.. the request that worker 0 has just
 * accepted (init or import), then gives all workers a fresh gradient buffer
 * sized for a model of params parameters. A replica that refuses what worker
 * 0 took is a fatal error: the replicas would no longer match.
 */
async function replicate(type, payload, params) {
  if (workerCount === 1) return;
  try {
    await Promise.all(workers.slice(1).map((_, j) => request(j + 1, type, payload())));
    await newReducer(params);
  } catch (e) {
    if (!e.fatal) died(`The workers disagree: worker 1 accepted a model that another refused (${e.message}).`);
    throw Object.assign(e, {fatal: true});
  }
}

/** newReducer gives all workers a fresh gradient buffer sized for a model of params parameters. */
async function newReducer(params) {
  // Each slot holds one network's gradient: at most the whole model's parameters.
  const slotBytes = Math.ceil(params * 4 / 64) * 64;
  reducerSab = new SharedArrayBuffer(HEADER_BYTES + 2 * workerCount * slotBytes);
  await requestAll('reducer', () => ({sab: reducerSab, slotBytes}));
}

/**
 * initAll builds the model of config json in every worker at once and
 * resolves with worker 0's result. It is for workers that hold no model yet:
 * there is nothing to keep should worker 0 refuse the config, so the replicas
 * need not wait for it. All refusing is an ordinary error (worker 0's); some
 * refusing is fatal, as in replicate.
 */
async function initAll(json) {
  const rs = await Promise.allSettled(workers.map((_, i) => request(i, 'init', {config: json})));
  const bad = rs.filter(x => x.status === 'rejected').map(x => x.reason);
  const fatal = bad.find(e => e.fatal);
  if (fatal) throw fatal;
  if (bad.length === rs.length) throw bad[0];
  try {
    if (bad.length) throw new Error(bad[0].message);
    await newReducer(rs[0].value.params);
  } catch (e) {
    if (!e.fatal) died(`The workers disagree: some accepted a model that another refused (${e.message}).`);
    throw Object.assign(e, {fatal: true});
  }
  return rs[0].value;
}

function showWorkerCount() {
  $('workers-count').textContent = `(${workerCount} worker${workerCount === 1 ? '' : 's'})`;
  $('workers').value = String(workerCount);
  document.body.dataset.workers = String(workerCount);
}

// ---- loading ------------------------------------------------------------------

async function load() {
  setState('loading');
  ui.setBar('loading-progress', 0);
  try {
    const r = await loadWorkers();
    defaults = r.defaults;
    presets = r.presets || {};
    buildForm();
    const preset = params.get('preset');
    if (preset !== null && !presets[preset]) ui.showError(`Unknown preset "${preset}" in the address; known: ${Object.keys(presets).join(', ')}.`);
    const stored = preset !== null && presets[preset] ? {...defaults, ...presets[preset]} : readStoredConfig();
    // With autostart the first snapshot waits for the first training round (trainLoop takes it).
    const autostart = params.get('autostart') === '1';
    let failed = null;
    if (stored) {
      try {
        await buildModel(stored, {draw: !autostart});
      } catch (e) {
        if (e.fatal) throw e;
        failed = e;
      }
    }
    if (!model) await buildModel(defaults, {draw: !autostart});
    if (failed) ui.showError(`The saved configuration was rejected (${failed.message}); using the defaults.`);
    if (autostart) startTraining();
  } catch (e) {
    if (e.fatal) return died(e.message);
    setState('error');
    ui.showError(`Could not start: ${e.message}`, {retry: load});
  }
}

function showLoadProgress({phase, files}) {
  const loaded = files.reduce((s, f) => s + f.loaded, 0);
  const total = files.reduce((s, f) => s + f.total, 0);
  const known = files.every(f => f.total > 0);
  $('loading-phase').textContent = `${phase}…`;
  ui.setBar('loading-progress', known ? loaded / total : 0);
  $('loading-detail').textContent = known
    ? `${ui.fmtBytes(loaded)} of ${ui.fmtBytes(total)} (4 files, gzipped)`
    : `${ui.fmtBytes(loaded)}`;
}

// ---- training rounds ----------------------------------------------------------------

function startTraining() {
  if (running || !workers.length) return;
  if (stepsLeft <= 0) stepsLeft = Infinity; // ?steps=N is done: Resume trains on
  running = true;
  setState('training');
  loop = trainLoop();
}

/** stopTraining ends the training loop after the round in flight and waits for it. */
async function stopTraining() {
  running = false;
  if (loop) await loop;
}

async function trainLoop() {
  // Without a snapshot yet (autostart), take one right after the first round.
  let nextSnapshot = snap ? performance.now() + SNAPSHOT_EVERY_MS : 0;
  try {
    while (running) {
      if (hold) {
        await hold;
        continue;
      }
      const n = Math.min(stepsParam !== null ? STEPS_ROUND : roundSteps, stepsLeft);
      const t0 = performance.now();
      // Every worker runs exactly n steps: replicas must make the same gradient sums.
      round = requestAll('train', () => ({steps: n}));
      const rs = await round;
      const wall = performance.now() - t0;
      if (!document.body.dataset.firstStepMs) span(`page: first round (${n} step${n === 1 ? '' : 's'})`, t0);
      // Aim the next round at ROUND_TARGET_MS, growing at most fourfold a round.
      roundSteps = Math.max(1, Math.min(ROUND_MAX_STEPS, 4 * n, Math.round(n * ROUND_TARGET_MS / Math.max(wall, 1))));
      stepsLeft -= n;
      onRound(rs, n, wall);
      if (!document.body.dataset.firstStepMs) document.body.dataset.firstStepMs = String(Math.round(performance.now()));
      if (stepsLeft <= 0) running = false;
      if (running && performance.now() >= nextSnapshot) {
        const t = performance.now();
        onSnapshot(await request(0, 'snapshot'));
        const now = performance.now();
        if (!document.body.dataset.firstSnapshotMs) {
          span('page: first snapshot after training (request + draw)', t, now);
          reportTiming();
        }
        // Spend at most about a fifth of the time drawing pictures.
        nextSnapshot = now + Math.max(SNAPSHOT_EVERY_MS, 4 * (now - t));
      }
    }
  } catch (e) {
    running = false;
    loop = null;
    // Replicas that failed mid-step no longer match: stop them all.
    if (!e.fatal) died(`Training failed: ${e.message}`);
    return;
  } finally {
    round = null;
  }
  loop = null;
  if (state() === 'training') setState(stepNow() > 0 ? 'paused' : 'ready');
  await refreshSnapshot();
}

/** onRound shows one round: the step and epoch of worker 0, losses summed over the replicas, samples/s from wall time. */
function onRound(rs, n, wall) {
  const r = rs[0];
  const batch = model.config.batch;
  const sum = key => rs.some(x => x.losses[key] === null || x.losses[key] === undefined) ? null : rs.reduce((s, x) => s + x.losses[key], 0);
  const l = {};
  for (const key of Object.keys(r.losses)) l[key] = sum(key);
  stats.steps += n;
  stats.samples += n * batch;
  stats.at = performance.now();
  stats.wasmBytes = rs.reduce((s, x) => s + (x.memory || 0), 0);
  stats.loss = {step: r.step, ...l};
  ui.setValue('step', ui.fmtInt(r.step), r.step);
  ui.setValue('epoch', String(r.epoch), r.epoch);
  $('epoch-pct').textContent = `${Math.floor(r.epochProgress * 100)} %`;
  ui.setBar('epoch-progress', r.epochProgress);
  if (wall > 0) {
    const now = n * batch / (wall / 1000);
    samplesPerSec = samplesPerSec === null ? now : 0.8 * samplesPerSec + 0.2 * now;
    ui.setValue('samples-per-sec', ui.fmtInt(samplesPerSec), Math.round(samplesPerSec));
  }
  if (l.recon !== null && l.recon !== undefined) ui.setValue('recon-loss', l.recon.toFixed(2), l.recon);
  for (const [key, v] of Object.entries(l)) {
    if (!loss[key]) loss[key] = new ui.History();
    loss[key].push(r.step, v);
  }
  scheduleDraw();
}

// ---- the model --------------------------------------------------------------------

/**
 * buildModel asks the workers for a fresh model; on success the form shows
 * the normalized config and, if draw, the views show the untrained model.
 */
async function buildModel(config, {draw = true} = {}) {
  await stopTraining();
  const json = JSON.stringify(config);
  const t0 = performance.now();
  let r;
  if (model === null && workerCount > 1) {
    r = await initAll(json);
  } else {
    r = await request(0, 'init', {config: json});
    await replicate('init', () => ({config: json}), r.params);
  }
  if (!document.body.dataset.firstStepMs) span('page: init model', t0);
  model = {config: JSON.parse(r.config), params: r.params};
  setForm(model.config);
  saveConfig(model.config);
  clearReadouts();
  ui.setValue('params', ui.fmtInt(r.params), r.params);
  setState('ready');
  if (draw) await refreshSnapshot();
}

function clearReadouts() {
  for (const key of Object.keys(loss)) delete loss[key];
  samplesPerSec = null;
  snap = null;
  ui.setValue('step', '0', 0);
  ui.setValue('epoch', '0', 0);
  $('epoch-pct').textContent = '0 %';
  ui.setBar('epoch-progress', 0);
  ui.setValue('samples-per-sec', '–', null);
  ui.setValue('recon-loss', '–', null);
  ui.setValue('test-recon', '–', null);
  ui.setValue('test-loss', '–', null);
  $('test-loss').dataset.step = '';
  $('test-loss-step').textContent = 'not evaluated';
  scheduleDraw();
}

async function refreshSnapshot() {
  try {
    const t0 = performance.now();
    onSnapshot(await request(0, 'snapshot'));
    if (!document.body.dataset.firstSnapshotMs) span('page: snapshot (request + draw)', t0);
  } catch (e) {
    if (!e.fatal) ui.showError(`Could not draw the model: ${e.message}`);
  }
}

function onSnapshot(s) {
  snap = s;
  if (s.recons) ui.drawDigits($('recon-canvas'), ui.interleaveRows(s.inputs, s.recons, 16, 8), 32, 8, {gap: 1, groupRows: 2, groupGap: 5});
  if (s.samples) ui.drawDigits($('samples-canvas'), s.samples, 64, 8, {gap: 1});
  if (s.testRecon !== undefined && s.testRecon !== null) ui.setValue('test-recon', s.testRecon.toFixed(2), s.testRecon);
  $('test-recon').dataset.step = String(s.step);
  drawScatter();
}

function drawScatter() {
  if (!snap || !snap.codes) return;
  const aae = model && model.config.model !== 'ae';
  const sigma = model && model.config.prior_std > 0 ? model.config.prior_std : 1;
  let range = 3 * sigma, tick = sigma;
  if (!aae) {
    // A plain autoencoder has no prior to fix the axes: fit the codes instead.
    let m = 0;
    for (const v of snap.codes) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
    tick = niceStep(m / 3 || 1);
    range = Math.max(tick, Math.ceil(m / tick) * tick);
  }
  const outside = ui.drawScatter($('latent-canvas'), {
    codes: snap.codes, labels: snap.labels, prior: aae ? snap.prior : new Float32Array(0), range, tick,
  });
  const n = ui.fmtInt(snap.labels.length);
  const dims = snap.latent > 2 ? `dims 1–2 of ${snap.latent}` : '';
  const parts = [dims, `${n} test codes`, aae ? 'prior in grey' : '', aae ? `grid σ = ${sigma}` : `grid ${tick}`];
  const caption = $('latent-caption');
  caption.textContent = parts.filter(Boolean).join(' · ');
  caption.title = `${snap.latent > 2 ? `The first two of ${snap.latent} code dimensions` : 'Codes'} of the first ${n} test digits, `
    + `coloured by label${aae ? `, over samples of the prior N(0, ${sigma}²I) in grey; grid lines every σ` : ''}.`
    + (outside ? ` ${outside} codes lie outside the view and are pinned to its edge.` : '');
}

function niceStep(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map(k => k * p).find(s => s >= x);
}

let drawQueued = false;
function scheduleDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const names = snap && snap.lossNames ? snap.lossNames.split(',') : Object.keys(loss);
    ui.drawLossCurves($('loss-canvas'), names.map((key, i) => ({
      label: key, color: LOSS_COLORS[i % LOSS_COLORS.length], ...LOSS_LABELS[key],
      history: loss[key] || new ui.History(),
    })));
  });
}

// ---- config form --------------------------------------------------------------------

function buildForm() {
  const form = $('config');
  form.replaceChildren();
  const known = Object.keys(FIELDS).filter(k => k in defaults);
  for (const key of [...known, ...Object.keys(defaults).filter(k => !(k in FIELDS))]) {
    const meta = FIELDS[key] || {label: key};
    const def = defaults[key];
    const wrap = document.createElement('label');
    wrap.className = 'field' + (meta.full ? ' full' : '');
    wrap.title = meta.tip || key;
    const name = document.createElement('span');
    name.textContent = meta.label;
    let input;
    if (meta.options || (typeof def === 'string' && !meta.list)) {
      input = document.createElement('select');
      const opts = meta.options || {[def]: def};
      for (const [v, text] of Object.entries(opts)) input.add(new Option(text, v));
    } else if (meta.list || Array.isArray(def)) {
      input = document.createElement('input');
      input.type = 'text';
      input.pattern = '\\s*\\d+(\\s*,\\s*\\d+)*\\s*';
      input.placeholder = 'e.g. 512, 256';
    } else {
      input = document.createElement('input');
      input.type = 'number';
      input.step = meta.step ?? 'any';
      if (meta.min !== undefined) input.min = meta.min;
      input.required = true;
    }
    input.id = `cfg-${key}`;
    input.name = key;
    wrap.append(name, input);
    form.append(wrap);
  }
  form.oninput = onFormChange;
  form.onsubmit = e => e.preventDefault();
  const sel = $('preset');
  sel.replaceChildren(...Object.keys(presets).map(name => new Option(name, name)), new Option('custom', 'custom'));
  sel.onchange = () => {
    if (presets[sel.value]) {
      setForm(presets[sel.value]);
      onFormChange();
    }
  };
}

function setForm(config) {
  for (const key of Object.keys(defaults)) {
    const input = $(`cfg-${key}`);
    const v = key in config ? config[key] : defaults[key];
    input.value = Array.isArray(v) ? v.join(', ') : String(v);
  }
  updateFormHints();
}

/** readForm returns the config the form describes, or throws an Error naming the bad fields. */
function readForm() {
  const config = {};
  const bad = [];
  for (const key of Object.keys(defaults)) {
    const input = $(`cfg-${key}`);
    const meta = FIELDS[key] || {label: key};
    const def = defaults[key];
    const text = input.value.trim();
    if (Array.isArray(def)) {
      const parts = text === '' ? [] : text.split(',').map(s => s.trim());
      const nums = parts.map(Number);
      if (!nums.every(n => Number.isInteger(n) && n > 0)) bad.push(`${meta.label}: expected comma-separated positive integers, got "${text}"`);
      config[key] = nums;
    } else if (typeof def === 'number') {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) bad.push(`${meta.label}: expected a number, got "${text}"`);
      config[key] = n;
    } else if (typeof def === 'boolean') {
      config[key] = text === 'true';
    } else {
      config[key] = input.value;
    }
  }
  if (bad.length) throw new Error(bad.join('; '));
  return config;
}

function onFormChange() {
  updateFormHints();
  try {
    saveConfig(readForm());
  } catch {
    // an unfinished edit: keep the last good config stored
  }
}

function updateFormHints() {
  let c;
  try {
    c = readForm();
  } catch {
    c = null;
  }
  const aae = $('cfg-model') ? $('cfg-model').value !== 'ae' : true;
  const opt = $('cfg-optimizer') ? $('cfg-optimizer').value : '';
  for (const [key, meta] of Object.entries(FIELDS)) {
    const input = $(`cfg-${key}`);
    if (!input) continue;
    const on = (!meta.aae || aae) && (!meta.when || meta.when({optimizer: opt}));
    input.parentElement.classList.toggle('off', !on);
  }
  const same = (a, b) => a && b && Object.keys(defaults).every(k => JSON.stringify(a[k]) === JSON.stringify(b[k]));
  $('preset').value = Object.keys(presets).find(name => same(c, {...defaults, ...presets[name]})) || 'custom';
  const dirty = !!model && !same(c, model.config);
  const note = $('config-note');
  note.textContent = dirty ? 'changed — press Reset to apply' : 'applies on Reset';
  note.classList.toggle('dirty', dirty);
}

/** readStoredConfig returns the remembered config if it is well formed, else null (and forgets it). */
function readStoredConfig() {
  let raw;
  try {
    raw = localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
  if (raw === null) return null;
  try {
    const c = JSON.parse(raw);
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new Error('not an object');
    const out = {...defaults};
    for (const [k, def] of Object.entries(defaults)) {
      if (!(k in c)) continue;
      const v = c[k];
      const ok = Array.isArray(def)
        ? Array.isArray(v) && v.every(n => Number.isInteger(n) && n > 0)
        : typeof v === typeof def && (typeof v !== 'number' || Number.isFinite(v));
      if (!ok) throw new Error(`bad ${k}`);
      out[k] = v;
    }
    return out;
  } catch {
    try { localStorage.removeItem(STORAGE_KEY); } catch { /* storage unavailable */ }
    return null;
  }
}

function saveConfig(config) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(config));
  } catch {
    // storage full or disabled: the page still works, it just forgets
  }
}

// ---- controls ------------------------------------------------------------------------

function state() {
  return document.body.dataset.state;
}

function stepNow() {
  return Number($('step').dataset.value) || 0;
}

function setState(s) {
  ui.setStatus(s);
  const live = s === 'ready' || s === 'training' || s === 'paused';
  $('train').textContent = s === 'training' ? 'Pause' : s === 'paused' ? 'Resume' : 'Train';
  $('train').disabled = !live;
  $('reset').disabled = !live;
  $('evaluate').disabled = !live || evaluating;
  $('download').disabled = !live;
  $('import').disabled = !live;
  $('workers').disabled = !live || !sharedOK;
}

async function onTrain() {
  if (state() === 'training') await stopTraining();
  else startTraining();
}

async function onReset() {
  let config;
  try {
    config = readForm();
  } catch (e) {
    ui.showError(`Bad configuration: ${e.message}`);
    return;
  }
  try {
    await buildModel(config);
  } catch (e) {
    if (!e.fatal) {
      if (state() === 'training') setState(stepNow() > 0 ? 'paused' : 'ready');
      ui.showError(`Bad configuration: ${e.message}. The previous model is kept.`);
    }
  }
}

async function onEvaluate() {
  evaluating = true;
  $('evaluate').disabled = true;
  $('eval-bar').hidden = false;
  ui.setBar('eval-progress', 0);
  $('test-loss-step').textContent = 'evaluating…';
  // Hold the training loop after the round in flight, so that the whole
  // evaluation sees one model.
  let release;
  hold = new Promise(resolve => { release = resolve; });
  try {
    if (round) await round.catch(() => {});
    const step = stepNow();
    const r = await request(0, 'evaluate', {chunk: EVAL_CHUNK});
    ui.setValue('test-loss', `${r.loss.toFixed(3)}`, r.loss);
    $('test-loss').dataset.step = String(step);
    $('test-loss-step').textContent = `nats at step ${ui.fmtInt(step)}`;
  } catch (e) {
    $('test-loss-step').textContent = 'not evaluated';
    if (!e.fatal) ui.showError(`Evaluation failed: ${e.message}`);
  } finally {
    hold = null;
    release();
    evaluating = false;
    $('eval-bar').hidden = true;
    setState(state());
  }
}

async function onDownload() {
  const dtype = $('dtype').value;
  try {
    const r = await request(0, 'export', {dtype});
    const url = URL.createObjectURL(new Blob([r.bytes], {type: 'application/octet-stream'}));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    if (!e.fatal) ui.showError(`Download failed: ${e.message}`);
  }
}

/**
 * importInto loads a weights file into every worker: worker 0 first (if it
 * refuses, the current model is unchanged), then the others.
 */
async function importInto(bytes) {
  const r = await request(0, 'import', {bytes: bytes.slice(0)});
  await replicate('import', () => ({bytes: bytes.slice(0)}), r.params);
  return r;
}

/** adoptImported shows the model the workers took from a file. */
async function adoptImported(r, {clear}) {
  const config = JSON.parse(r.config);
  const sameShape = model && JSON.stringify(config) === JSON.stringify(model.config);
  if (clear) clearReadouts();
  model = {config, params: r.params ?? (sameShape ? model.params : null)};
  setForm(config);
  saveConfig(config);
  ui.setValue('params', model.params ? ui.fmtInt(model.params) : '–', model.params);
  ui.setValue('step', ui.fmtInt(r.step), r.step);
  setState(r.step > 0 ? 'paused' : 'ready');
  await refreshSnapshot();
}

async function onImport() {
  const input = $('import');
  const file = input.files && input.files[0];
  input.value = ''; // the same file can be chosen again
  if (!file) return;
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    ui.showError(`Could not read ${file.name}: ${e.message}`);
    return;
  }
  try {
    await stopTraining();
    await adoptImported(await importInto(bytes), {clear: true});
  } catch (e) {
    if (!e.fatal) {
      if (state() === 'training') setState(stepNow() > 0 ? 'paused' : 'ready');
      ui.showError(`Import of ${file.name} failed: ${e.message}. The current model is unchanged.`);
    }
  }
}

/**
 * onWorkersChange restarts the workers with the chosen count and carries the
 * model over: its weights are exported from worker 0 and imported into the
 * new workers (the optimizer's moments start afresh, as after any import).
 */
async function onWorkersChange() {
  const k = clampWorkers(Number($('workers').value));
  if (k === workerCount) return;
  const wasTraining = running;
  let bytes = null;
  try {
    await stopTraining();
    if (model) bytes = (await request(0, 'export', {dtype: 'F32'})).bytes;
  } catch (e) {
    if (!e.fatal) ui.showError(`Could not keep the model: ${e.message}`);
    return;
  }
  startWorkers(k);
  setState('loading');
  try {
    await loadWorkers();
    if (bytes) {
      await adoptImported(await importInto(bytes), {clear: false});
      samplesPerSec = null;
      ui.setValue('samples-per-sec', '–', null);
    } else {
      await buildModel(readStoredConfig() || defaults);
    }
    if (wasTraining) startTraining();
  } catch (e) {
    died(`Could not restart with ${k} workers: ${e.message}`);
  }
}

/** setupWorkersSelect fills the Workers select and explains a one-worker fallback. */
function setupWorkersSelect() {
  const sel = $('workers');
  const opts = [];
  for (let k = 1; k <= MAX_WORKERS; k++) opts.push(new Option(k === DEFAULT_WORKERS ? `${k} (default)` : String(k), String(k)));
  sel.replaceChildren(...opts);
  sel.onchange = onWorkersChange;
  const note = $('workers-note');
  if (!sharedOK) {
    sel.value = '1';
    sel.title = 'Several workers need SharedArrayBuffer, which this page does not have';
    note.hidden = false;
    note.textContent = forceNoShared
      ? 'one worker: SharedArrayBuffer turned off by ?noshared=1'
      : 'one worker: this browser gives the page no SharedArrayBuffer (it needs cross-origin isolation)';
  }
}

// ---- hooks for tests and benchmarks ---------------------------------------------------------

window.latentlab = Object.freeze({
  /** workers returns the number of workers. */
  workers: () => workerCount,
  /** stats returns counters since the page loaded: steps, samples, summed wasm memory of the workers, last losses. */
  stats: () => ({...stats, batch: model ? model.config.batch : null, now: performance.now()}),
  /** checksums returns the SHA-256 of every worker's model as F32 safetensors (replicas must agree). */
  checksums: async () => (await requestAll('checksum')).map(r => r.sha256),
  /** timing returns the start-up phases timed so far (page and workers), in ms since navigation, by start. */
  timing: () => [...timing].sort((a, b) => a.start - b.start).map(t => ({...t})),
});

// ---- start -------------------------------------------------------------------------------

$('train').onclick = onTrain;
$('reset').onclick = onReset;
$('evaluate').onclick = onEvaluate;
$('download').onclick = onDownload;
$('import').onchange = onImport;
$('error-dismiss').onclick = ui.hideError;
ui.drawLegend($('legend'));
const resized = new ResizeObserver(() => { drawScatter(); scheduleDraw(); });
resized.observe($('latent-canvas'));
resized.observe($('loss-canvas'));
span('page: navigation → app.js runs', 0, APP_T0);
fetchAssets(); // the network first: the workers start meanwhile
setupWorkersSelect();
setState('loading');
scheduleDraw();
startWorkers(workerCount);
load();
