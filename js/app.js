// Latent Lab page flow: start the workers, build the config form, drive
// training, and show what the workers report. All model work happens in the
// workers (js/worker.js) inside the Go core; this file wires the page's
// parts together and holds the transitions between its states:
//
//   js/state.js    the state machine (loading, ready, building, training,
//                  pausing, paused, evaluating, error) and what each control
//                  may do in each state; the DOM only shows it
//   js/pool.js     the workers and their protocol
//   js/trainer.js  the training loop, in rounds
//   js/form.js     the config form, presets, the remembered config, the address
//   js/views.js    the presenters, named from the Go core's figures.All
//   js/latent.js   the latent plot and exploring it (hover, grid, drawing,
//                  interpolation)
//   js/stepper.js  step-through, phase by phase, and slow motion
//   js/files.js    Download, Import and the copy saved in this browser
//   js/samples.js  samples drawn pixel by pixel, and the sample score
//   js/timing.js   the start-up phases, timed
//
// Several workers train data-parallel replicas of one model: each runs the
// same steps on its share of every batch, they sum their gradients through
// a SharedArrayBuffer and each updates its share of the parameters
// (js/worker.js, reduce and gather). Every worker is asked for the same
// number of steps a round (js/trainer.js); the replicas' losses (each its
// share) are summed. Snapshots, evaluation and export come from worker 0
// alone (the replicas are identical); init and import go to every worker.
// Without SharedArrayBuffer (no cross-origin isolation) the page runs one
// worker. Recoverable failures (bad config, bad import) show the error
// banner but keep the state.
//
// URL parameters, for benchmarks and tests:
//   ?preset=NAME    build the named preset (default, paper) instead of the remembered config
//   ?workers=N      run N workers (1..cores, at most 8) instead of the default min(hardwareConcurrency, 4)
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
import {Loader} from './assets.js';
import {Persistence} from './persist.js';
import {createLatent} from './latent.js';
import {createForm} from './form.js';
import {createViews, setFigures, fmtNum, figure, showPosition} from './views.js';
import {Pool} from './pool.js';
import {Machine} from './state.js';
import {createStepper} from './stepper.js';
import {createFiles} from './files.js';
import {createSamples} from './samples.js';
import {Trainer} from './trainer.js';
import {createParallel, clamp, DEFAULT_WORKERS} from './parallel.js';
import {span, workerSpans, reportTiming, timings} from './timing.js';

const APP_T0 = performance.now(); // app.js starts running

const LIVE_KEY = 'latentlab.liveViews';   // "0": no views drawn while training

const params = new URLSearchParams(location.search);
const forceNoShared = params.get('noshared') === '1';
const sharedOK = !forceNoShared && typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
const stepsParam = params.has('steps') ? Math.max(1, Math.floor(Number(params.get('steps'))) || 1) : null;

let defaults = null;         // config object from latentlab.defaults()
let presets = {};            // name → config
let kinds = {};              // kind name → {name, doc, nets, caps} from the Go core
let optionTable = [];        // model.Options: [{key, label, doc, choices, min, integer, list, text, example}]
let features = {};           // what this build of the Go core offers beyond the basics (score: sample quality)
let model = null;            // {config, params, sharded, caps} of the model in the workers
let modelId = 0;             // bumped whenever the model is replaced (build, import)
let snap = null;             // last snapshot
const loss = {};             // loss name → ui.History, for the current model's loss names
const $ = id => document.getElementById(id);
// The page's state machine (js/state.js): its state, the model's step, the
// task that has the model to itself, whether training runs; the DOM only
// shows them.
const machine = new Machine({state: (s, m) => renderState(s, m), position: showPosition});
// The workers (js/pool.js).
const pool = new Pool({
  onNotice: (i, m) => {
    if (m.type === 'evalProgress') ui.setBar('eval-progress', m.done / m.total);
    else if (m.type === 'sampleProgress') samples.onSampleProgress(m);
  },
  onTiming: (i, list) => workerSpans(i, list),
  onDied: message => died(message),
  onChange: () => parallel.show(),
});
pool.count = sharedOK ? clamp(Number(params.get('workers')) || DEFAULT_WORKERS) : 1;
// The config form, the preset menu, the remembered config and the address (js/form.js).
const form = createForm({
  core: () => ({defaults, presets, kinds, optionTable}),
  model: () => model,
  onPreset: name => onPresetChosen(name),
});

// The model and its training state, saved in the browser as it trains
// (js/persist.js): a reload finds it again.
const persist = new Persistence({
  store: async () => (await requestActive('save', () => ({curves: files.curvesJSON()})))[0],
  current: () => model && {id: modelId, step: stepNow()},
});

// The latent plot and what a visitor does with it (js/latent.js); the views
// and their presenters (js/views.js); the step controls (js/stepper.js).
const latent = createLatent({
  request: (type, payload) => request(0, type, payload),
  current: () => ({model, snap}),
  onPick: r => {
    snap.pick = r.pick;
    snap.labelGrid = r.labelGrid;
    views.drawLabelGrid(r.labelGrid, r.pick);
    latent.draw();
  },
});
const views = createViews({current: () => ({model, snap, kinds, features, loss}), latent});
const stepper = createStepper({current: () => ({model}), run: runPhase, figure});

/**
 * page is the page as its parts see it (js/files.js, js/parallel.js,
 * js/trainer.js, js/samples.js take it, and nothing else): the state
 * machine and the parts, the model, and what the page does. One object,
 * documented here, instead of a bag of callbacks for each part.
 */
const page = {
  // The state machine (the state, the step, the busy task, running) and its transitions.
  machine, state, setState, can: control => machine.can(control), stepNow, position: r => machine.position(r),
  // The parts.
  pool, form, views, persist, stepper,
  get files() { return files; }, get trainer() { return trainer; },
  // The model and what was drawn of it.
  model: () => model, loss, snap: () => snap, current: () => ({model, loss, defaults}),
  savedStep: () => (persist.saved && persist.saved.id === modelId ? persist.saved.step : null),
  // The workers.
  shared: sharedOK, forced: forceNoShared, ready: () => pool.workers.length > 0,
  request, requestActive, startWorkers, loadWorkers: () => loader.load(), died,
  // What the page does to the model.
  building, buildModel, adoptModel, clearReadouts, onReset, checkpoint, exclusive,
  stopTraining: () => trainer.stop(), revert: () => files.restoreSaved({revert: true}),
  autosave: opts => files.autosave(opts), saveDue: () => persist.due(),
  // The views.
  refreshSnapshot, snapshot: async () => onSnapshot(await takeSnapshot()), scheduleDraw: () => views.scheduleDraw(),
  lossLabel: key => views.lossLabel(key), live: () => $('live-views').checked, slow: () => stepper.slow(), pause: () => stepper.pause(),
  // The address's ?steps=N budget (or null), and start-up timing.
  stepsParam, span, reportTiming,
};

// Download, Import and the copy saved in this browser (js/files.js).
const files = createFiles(page);
// The Go core and MNIST, downloaded once and handed to the workers (js/assets.js).
const loader = new Loader({pool, shared: sharedOK, span});
// The Workers select and a change of the worker count (js/parallel.js).
const parallel = createParallel(page);
// The training loop (js/trainer.js).
const trainer = new Trainer(page);
// Samples drawn pixel by pixel, and the sample score (js/samples.js).
const samples = createSamples(page);

/** checkpoint returns the whole training state from the workers: {bytes, filename, step}. */
async function checkpoint() {
  return (await requestActive('checkpoint', () => ({curves: files.curvesJSON()})))[0];
}
// ---- worker plumbing ------------------------------------------------------------

/** startWorkers replaces the workers by k new ones (not yet loaded). */
function startWorkers(k) {
  machine.running = false;
  pool.start(k);
}

/** request sends one request to worker i; requestActive the same to the workers training the model (js/pool.js). */
function request(i, type, payload = {}, transfer = []) { return pool.request(i, type, payload, transfer); }
function requestActive(type, payload = () => ({})) { return pool.training(type, payload); }

/** died reports a dead worker or Go program, stops all workers and offers a restart. */
function died(message) {
  if (state() === 'error' && !$('error-restart').hidden) return;
  machine.running = false;
  pool.stop(message);
  setState('error');
  ui.showError(message, {restart: restartWorkers});
}

/** restartWorkers starts fresh workers and builds the remembered config (the old model is lost). */
function restartWorkers() {
  model = null;
  startWorkers(pool.count);
  load();
}

// ---- loading ------------------------------------------------------------------

async function load() {
  setState('loading');
  ui.setBar('loading-progress', 0);
  try {
    const r = await loader.load();
    defaults = r.defaults;
    presets = r.presets || {};
    kinds = Object.fromEntries((r.kinds || []).map(k => [k.name, k]));
    features = r.features || {};
    optionTable = r.options || [];
    setFigures(r.figures);
    form.build();
    const address = form.address();
    const stored = address ? address.config : form.readStored();
    // With autostart the first snapshot waits for the first training round (trainLoop takes it).
    const autostart = params.get('autostart') === '1';
    let failed = null;
    // The model saved in this browser comes back when the address names no
    // set-up, and on a reload (or back, forward) of one it has; a link or
    // typed address with a set-up builds that set-up afresh (the saved
    // model stays saved until the new one trains).
    const nav = (performance.getEntriesByType('navigation')[0] || {}).type;
    if ((!address || nav !== 'navigate') && await files.restoreSaved({want: address && address.want})) {
      if (autostart) trainer.start();
      return;
    }
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
    if (autostart) trainer.start();
  } catch (e) {
    if (e.fatal) return died(e.message);
    setState('error');
    ui.showError(`Could not start: ${e.message}`, {retry: load});
  }
}


// ---- the model --------------------------------------------------------------------

/**
 * buildModel asks the workers for a fresh model; on success the form shows
 * the normalized config and, if draw, the views show the untrained model.
 */
async function buildModel(config, {draw = true} = {}) {
  return building(async () => {
    await trainer.stop();
    const json = JSON.stringify(config);
    const t0 = performance.now();
    let r;
    if (model === null && pool.count > 1) {
      r = await pool.initAll(json);
    } else {
      r = await request(0, 'init', {config: json});
      await pool.replicate('init', () => ({config: json}), r);
    }
    if (!document.body.dataset.firstStepMs) span('page: init model', t0);
    adoptModel(r);
    clearReadouts();
    setState('ready');
    if (draw) await refreshSnapshot();
  });
}

/**
 * building runs fn, which replaces the model (build, import, restore), with
 * the page in state 'building', set before fn's first await: every button
 * that starts another transition is disabled until fn settles, so Train
 * pressed right after Reset cannot train a model being replaced. fn leaves
 * the state it reaches; if it fails, the page goes back to the state it
 * had (paused or ready for a training that fn stopped).
 */
async function building(fn) {
  const was = machine.can('pause') ? machine.settled() : state();
  setState('building');
  try {
    return await fn();
  } catch (e) {
    if (state() === 'building') setState(was);
    throw e;
  }
}

/**
 * adoptModel makes r (an init or import result) the page's model: the form
 * shows and remembers its config, the address carries it, and its views
 * and parameter count are laid out.
 */
function adoptModel(r) {
  model = {config: JSON.parse(r.config), params: r.params, sharded: r.sharded, caps: r.caps};
  modelId++;
  form.set(model.config);
  form.save(model.config);
  form.writeAddress(model.config);
  ui.setValue('params', r.params ? ui.fmtInt(r.params) : '–', r.params);
  snap = null;
  latent.reset();
  parallel.show();
  views.layout();
  stepper.build();
}

/** clearReadouts forgets the loss curves and the figures shown (js/views.js clears the readouts). */
function clearReadouts() {
  for (const key of Object.keys(loss)) delete loss[key];
  trainer.samplesPerSec = null;
  snap = null;
  machine.position({step: 0, epoch: 0, epochProgress: 0});
  views.clear();
}

/** snapshotOptions are what the views ask of the next snapshot. */
function snapshotOptions() {
  return {latentView: $('latent-view').value, rawPCA: !$('card-rawpca').hidden || (model && model.config.latent === 2)};
}

/** onSnapshot makes s the page's snapshot and draws it (js/views.js). */
async function onSnapshot(s) {
  snap = s;
  await views.snapshot(s);
}

/**
 * takeSnapshot asks every worker training the model for a snapshot, the same
 * options to each (replicas split the figures over test digits and gather
 * them through the reducer), and returns worker 0's, which holds the views.
 */
async function takeSnapshot() {
  const options = snapshotOptions();
  return (await requestActive('snapshot', () => ({options})))[0];
}

/** refreshSnapshot redraws the views from a new snapshot, and draws samples of a model.Sampler (not while training). */
async function refreshSnapshot() {
  try {
    const t0 = performance.now();
    await onSnapshot(await takeSnapshot());
    if (!document.body.dataset.firstSnapshotMs) span('page: snapshot (request + draw)', t0);
  } catch (e) {
    if (!e.fatal) ui.showError(`Could not draw the model: ${e.message}`);
    return;
  }
  if (samples.drawsPixelByPixel() && !machine.running) {
    if (machine.busy) samples.markStale(); // drawn when the work under way ends (exclusive)
    else await samples.drawSamples();
  }
}

// ---- controls ------------------------------------------------------------------------

/** state is the page's state (js/state.js). */
function state() {
  return machine.state;
}

/** stepNow is the model's training steps (js/state.js keeps them). */
function stepNow() {
  return machine.step;
}

/**
 * setState moves the page to state s. A transition js/state.js's table
 * forbids is a bug: it is reported on the console (the browser test fails
 * on it) and the page stays in its state.
 */
function setState(s) {
  try {
    machine.go(s);
  } catch (e) {
    console.error(`latentlab: ${e.message}`);
  }
}

/** renderState shows state s: the pill, body[data-state], and which controls work. */
function renderState(s, m) {
  ui.setStatus(s);
  $('train').textContent = {training: 'Pause', pausing: 'Pausing…', paused: 'Resume'}[s] || 'Train';
  for (const id of ['train', 'reset', 'evaluate', 'download', 'import']) $(id).disabled = !m.can(id);
  $('trained-model').disabled = !m.can('import');
  $('workers').disabled = !m.can('workers') || !sharedOK;
  for (const b of document.querySelectorAll('#phase-controls button, #draw-samples, #score')) b.disabled = !m.can('task');
}

async function onTrain() {
  if (!machine.can('train')) return;
  if (state() === 'training') await trainer.stop();
  else trainer.start();
}

/**
 * onPresetChosen builds the preset chosen in the menu (the form holds it),
 * asking first when that would replace a model that has trained; declined,
 * the form goes back to the model's config.
 */
async function onPresetChosen(name) {
  if (!machine.can('reset')) return; // Reset builds what the form holds
  const step = stepNow();
  if (step > 0 && !confirm(`Build the preset "${name}"? The model trained for ${ui.fmtInt(step)} steps is replaced (it stays saved in this browser until the new one trains).`)) {
    form.set(model.config);
    return;
  }
  await onReset();
}

/** formConfig returns the form's config, or null after saying what is wrong with it. */
function formConfig() {
  try {
    return form.read();
  } catch (e) {
    ui.showError(`Bad configuration: ${e.message}`);
    return null;
  }
}

async function onReset() {
  const config = machine.can('reset') && formConfig();
  if (!config) return;
  try {
    await buildModel(config);
  } catch (e) {
    if (!e.fatal) ui.showError(`Bad configuration: ${e.message}. The previous model is kept.`);
  }
}

/**
 * onApplyLive changes the model's tunable fields (learning rates, schedule,
 * Adam's β, momentum) to the form's as it trains on: every worker training
 * it resumes its whole training state with them from the next step.
 */
async function onApplyLive() {
  const config = machine.can('reset') && formConfig();
  if (!config) return;
  try {
    const r = await exclusive('retune', async () => (await requestActive('retune', () => ({config: JSON.stringify(config), curves: files.curvesJSON()})))[0]);
    if (!r) return;
    model.config = JSON.parse(r.config);
    form.save(model.config);
    form.writeAddress(model.config);
    form.hints();
    $('config-note').textContent = `${r.changed.join(', ')} changed at step ${ui.fmtInt(r.step)}`;
  } catch (e) {
    if (!e.fatal) ui.showError(`Could not apply the change: ${e.message}. The model trains on as it was.`);
  }
}

/**
 * exclusive runs fn(step) with the training loop held after the round in
 * flight, so that fn sees one model; what, while it runs, names the task
 * (the buttons that need the model to themselves are disabled). It resolves
 * with fn's result, or undefined if another task was running.
 */
async function exclusive(what, fn) {
  if (machine.busy) return undefined;
  machine.hold(what);
  try {
    return await trainer.held(() => fn(stepNow()));
  } finally {
    machine.hold(null);
    // Samples a snapshot could not draw meanwhile, drawn now: busy again
    // before anyone can see the page idle with the old model's samples.
    if (samples.due() && samples.drawsPixelByPixel() && !machine.running) samples.drawSamples();
  }
}

/**
 * onEvaluate shows train.Session.Metrics over the whole test set (one call
 * into the Go core, in worker 0, whose progress moves the bar); a training
 * run is held meanwhile and goes on after.
 */
async function onEvaluate() {
  if (!machine.can('evaluate')) return;
  const back = state();
  setState('evaluating');
  views.evaluating(true);
  try {
    await exclusive('evaluate', async step => {
      const t0 = performance.now();
      const r = await request(0, 'metrics');
      views.showMetrics(r, step, performance.now() - t0);
    });
  } catch (e) {
    views.evaluating(false, true);
    if (!e.fatal) ui.showError(`Evaluation failed: ${e.message}`);
  } finally {
    views.evaluating(false);
    if (state() === 'evaluating') setState(back === 'training' && machine.running ? 'training' : machine.settled());
  }
}

// ---- step controls, samples, picking ------------------------------------------------

/**
 * runPhase pauses training and runs one phase of the step (phase null: one
 * whole step) for the step controls (js/stepper.js); it resolves with the
 * losses by name once the views are redrawn, or null if it could not run.
 */
async function runPhase(phase) {
  if (!machine.can('task')) return null;
  await trainer.stop();
  let losses = null;
  try {
    await exclusive('step', async () => {
      const rs = phase === null
        ? await requestActive('train', () => ({steps: 1}))
        : await requestActive('stepPhase', () => ({phase, count: 1}));
      losses = trainer.onRound(rs, 1, 0);
      if (state() === 'ready') setState('paused');
      await refreshSnapshot();
    });
  } catch (e) {
    // Replicas that failed mid-step no longer match.
    if (!e.fatal) died(`Step failed: ${e.message}`);
  }
  return losses;
}

// ---- hooks for tests and benchmarks ---------------------------------------------------------

window.latentlab = Object.freeze({
  /** workers returns the number of workers. */
  workers: () => pool.count,
  /** stats returns counters since the page loaded: steps, samples, summed wasm memory of the workers, last losses. */
  stats: () => ({...trainer.stats, time: trainer.stats.time.map(t => ({...t})), batch: model ? model.config.batch : null, now: performance.now()}),
  /** active returns the number of workers training the current model (1 for a model that cannot be sharded). */
  active: () => pool.active,
  /** model returns the current model's config, parameter count and capabilities (a copy). */
  model: () => (model ? JSON.parse(JSON.stringify(model)) : null),
  /** kinds returns the kinds of model the Go core offers, with their docs, networks and capabilities. */
  kinds: () => JSON.parse(JSON.stringify(kinds)),
  /** losses returns the loss curves shown: name → {x: steps, y: values}. */
  losses: () => Object.fromEntries(Object.entries(loss).map(([k, h]) => [k, {x: [...h.x], y: [...h.y]}])),
  /** busy returns the task that has the model to itself (evaluate, step, sample, score), or null. */
  busy: () => machine.busy,
  /** checksums returns the SHA-256 of the model of every worker training it, as F32 safetensors (replicas must agree). */
  checksums: async () => (await requestActive('checksum')).map(r => r.sha256),
  /** timing returns the start-up phases timed so far (page and workers), in ms since navigation, by start. */
  timing: timings,
});

// ---- start -------------------------------------------------------------------------------

$('train').onclick = onTrain;
// Space trains and pauses, as the Train button's title says, unless a
// control has the keyboard (a form field, a select, a button of its own).
addEventListener('keydown', e => {
  if (e.code !== 'Space' || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest && e.target.closest('input, select, textarea, button, a, label, [contenteditable]')) return;
  e.preventDefault();
  if (!$('train').disabled) onTrain();
});
$('reset').onclick = onReset;
$('apply-live').onclick = onApplyLive;
$('evaluate').onclick = onEvaluate;
$('download').onclick = files.onDownload;
$('import').onchange = files.onImport;
$('trained-model').onchange = files.onLoadTrained;
$('error-dismiss').onclick = ui.hideError;
$('start-fresh').onclick = files.onStartFresh;
$('restored-dismiss').onclick = () => { $('restored').hidden = true; };
// Leaving: save what trained since the last save (the worker may not finish
// once the page is gone; the files.autosave every few seconds is what counts), and
// ask before closing a tab whose training is not saved.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && model) files.autosave().catch(() => {});
});
addEventListener('pagehide', () => { if (model) files.autosave().catch(() => {}); });
addEventListener('beforeunload', e => {
  if (!persist.dirty()) return;
  files.autosave().catch(() => {});
  e.preventDefault();
  e.returnValue = '';
});
$('draw-samples').onclick = samples.drawSamples;
$('score').onclick = samples.onScore;
$('latent-view').addEventListener('change', () => { if (!machine.running && model) refreshSnapshot(); });
// Live views: ?live=0 or the checkbox (remembered) trains without drawing
// until Pause; the views then show the model as it is.
{
  let stored = null;
  try { stored = localStorage.getItem(LIVE_KEY); } catch { /* storage unavailable */ }
  $('live-views').checked = params.get('live') !== '0' && stored !== '0';
}
$('live-views').onchange = () => {
  try { localStorage.setItem(LIVE_KEY, $('live-views').checked ? '1' : '0'); } catch { /* storage unavailable */ }
};
ui.drawLegend($('legend'));
const resized = new ResizeObserver(() => {
  latent.draw();
  views.drawRawPCA();
  if (snap && snap.labelGrid && !$('card-labels').hidden) views.drawLabelGrid(snap.labelGrid, snap.pick);
  if (snap && snap.clusters && !$('card-clusters').hidden) views.drawClusters(snap.clusters);
  views.scheduleDraw();
});
for (const id of ['latent-canvas', 'loss-canvas', 'rawpca-canvas', 'labels-canvas', 'clusters-canvas']) resized.observe($(id));
span('page: navigation → app.js runs', 0, APP_T0);
loader.fetch(); // the network first: the workers start meanwhile
parallel.setup();
setState('loading');
views.scheduleDraw();
startWorkers(pool.count);
load();
files.listTrained(); // the list only: a model's file is fetched when chosen
