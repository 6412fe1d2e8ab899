// Latent Lab page flow: start the worker, build the config form, drive
// training, and show what the worker reports. All model work happens in the
// worker (js/worker.js) inside the Go core; this file only moves messages and
// calls the drawing verbs in ui.js.
//
// Page states (document.body.dataset.state):
//   loading   worker is fetching MNIST and the Go core
//   ready     a fresh model is built and has not been trained
//   training  the worker's training loop is running
//   paused    training stopped (by the user, an import, or a training error)
//   error     nothing works until the user acts: data failed to load or the Go core died
// Recoverable failures (bad config, bad import) show the error banner but keep the state.
import * as ui from './ui.js';

const STORAGE_KEY = 'latentlab.config.v1';
const EVAL_CHUNK = 500;

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

let worker = null;
let nextId = 1;
const pending = new Map();   // request id → {resolve, reject}
let defaults = null;         // config object from latentlab.defaults()
let presets = {};            // name → config
let model = null;            // {config, params} of the model in the worker
let snap = null;             // last snapshot
let evaluating = false;
let samplesPerSec = null;
const loss = {recon: new ui.History(), disc: new ui.History(), gen: new ui.History()};
const $ = id => document.getElementById(id);

// ---- worker plumbing ------------------------------------------------------------

function startWorker() {
  worker = new Worker(new URL('./worker.js', import.meta.url));
  worker.onmessage = ev => onWorkerMessage(ev.data);
  worker.onerror = ev => {
    ev.preventDefault();
    died(`The worker crashed: ${ev.message || 'script error'}.`);
  };
  load();
}

/** request sends one request to the worker and resolves with its result (rejects with its error). */
function request(type, payload = {}, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, {resolve, reject});
    worker.postMessage({id, type, ...payload}, transfer);
  });
}

function onWorkerMessage(m) {
  switch (m.type) {
    case 'reply': {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error), {fatal: m.fatal}));
      if (m.fatal) died(m.error);
      return;
    }
    case 'loadProgress': return showLoadProgress(m);
    case 'progress': return onProgress(m);
    case 'snapshot': return onSnapshot(m);
    case 'running':
      if (m.running) setState('training');
      else if (state() === 'training') setState(stepNow() > 0 ? 'paused' : 'ready');
      return;
    case 'evalProgress': return ui.setBar('eval-progress', m.done / m.total);
    case 'error':
      if (m.fatal) return died(m.message);
      return ui.showError(`Training stopped: ${m.message}`);
  }
}

/** died reports a dead worker or Go program and offers a restart. */
function died(message) {
  if (state() === 'error' && !$('error-restart').hidden) return;
  for (const p of pending.values()) p.reject(Object.assign(new Error(message), {fatal: true}));
  pending.clear();
  setState('error');
  ui.showError(message, {restart: restartWorker});
}

function restartWorker() {
  worker.terminate();
  pending.clear();
  model = null;
  startWorker();
}

// ---- loading ------------------------------------------------------------------

async function load() {
  setState('loading');
  ui.setBar('loading-progress', 0);
  try {
    const r = await request('load');
    defaults = r.defaults;
    presets = r.presets || {};
    buildForm();
    const stored = readStoredConfig();
    let failed = null;
    if (stored) {
      try {
        await buildModel(stored);
      } catch (e) {
        if (e.fatal) throw e;
        failed = e;
      }
    }
    if (!model) await buildModel(defaults);
    if (failed) ui.showError(`The saved configuration was rejected (${failed.message}); using the defaults.`);
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

// ---- the model --------------------------------------------------------------------

/** buildModel asks the worker for a fresh model; on success the form shows the normalized config. */
async function buildModel(config) {
  const r = await request('init', {config: JSON.stringify(config)});
  model = {config: JSON.parse(r.config), params: r.params};
  setForm(model.config);
  saveConfig(model.config);
  clearReadouts();
  ui.setValue('params', ui.fmtInt(r.params), r.params);
  setState('ready');
  await refreshSnapshot();
}

function clearReadouts() {
  for (const h of Object.values(loss)) h.clear();
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
    onSnapshot(await request('snapshot'));
  } catch (e) {
    if (!e.fatal) ui.showError(`Could not draw the model: ${e.message}`);
  }
}

function onProgress(r) {
  ui.setValue('step', ui.fmtInt(r.step), r.step);
  ui.setValue('epoch', String(r.epoch), r.epoch);
  $('epoch-pct').textContent = `${Math.floor(r.epochProgress * 100)} %`;
  ui.setBar('epoch-progress', r.epochProgress);
  if (r.ms > 0) {
    const now = r.samples / (r.ms / 1000);
    samplesPerSec = samplesPerSec === null ? now : 0.8 * samplesPerSec + 0.2 * now;
    ui.setValue('samples-per-sec', ui.fmtInt(samplesPerSec), Math.round(samplesPerSec));
  }
  ui.setValue('recon-loss', r.recon.toFixed(2), r.recon);
  loss.recon.push(r.step, r.recon);
  loss.disc.push(r.step, r.disc);
  loss.gen.push(r.step, r.gen);
  scheduleDraw();
}

function onSnapshot(s) {
  snap = s;
  ui.drawDigits($('recon-canvas'), ui.interleaveRows(s.inputs, s.recons, 16, 8), 32, 8, {gap: 1, groupRows: 2, groupGap: 5});
  ui.drawDigits($('samples-canvas'), s.samples, 64, 8, {gap: 1});
  ui.setValue('test-recon', s.testRecon.toFixed(2), s.testRecon);
  $('test-recon').dataset.step = String(s.step);
  drawScatter();
}

function drawScatter() {
  if (!snap) return;
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
    const ae = model && model.config.model === 'ae';
    ui.drawLossCurves($('loss-canvas'), [
      {label: 'Reconstruction (BCE)', history: loss.recon, color: '#4f46e5', unit: 'nats'},
      {label: 'Discriminator (BCE)', history: loss.disc, color: '#d97706', empty: ae ? 'plain autoencoder: no discriminator' : null},
      {label: 'Generator (BCE)', history: loss.gen, color: '#059669', empty: ae ? 'plain autoencoder: no generator' : null},
    ]);
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
}

async function onTrain() {
  try {
    await request(state() === 'training' ? 'pause' : 'train');
    if (state() === 'paused') await refreshSnapshot();
  } catch (e) {
    if (!e.fatal) ui.showError(e.message);
  }
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
    if (!e.fatal) ui.showError(`Bad configuration: ${e.message}. The previous model is kept.`);
  }
}

async function onEvaluate() {
  evaluating = true;
  $('evaluate').disabled = true;
  $('eval-bar').hidden = false;
  ui.setBar('eval-progress', 0);
  $('test-loss-step').textContent = 'evaluating…';
  try {
    const r = await request('evaluate', {chunk: EVAL_CHUNK});
    ui.setValue('test-loss', `${r.loss.toFixed(3)}`, r.loss);
    $('test-loss').dataset.step = String(r.step);
    $('test-loss-step').textContent = `nats at step ${ui.fmtInt(r.step)}`;
  } catch (e) {
    $('test-loss-step').textContent = 'not evaluated';
    if (!e.fatal) ui.showError(`Evaluation failed: ${e.message}`);
  } finally {
    evaluating = false;
    $('eval-bar').hidden = true;
    setState(state());
  }
}

async function onDownload() {
  const dtype = $('dtype').value;
  try {
    const r = await request('export', {dtype});
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

async function onImport() {
  const input = $('import');
  const file = input.files && input.files[0];
  input.value = ''; // the same file can be chosen again
  if (!file) return;
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    ui.showError(`Could not read ${file.name}: ${e.message}`);
    return;
  }
  try {
    const r = await request('import', {bytes}, [bytes]);
    const config = JSON.parse(r.config);
    const sameShape = model && JSON.stringify(config) === JSON.stringify(model.config);
    clearReadouts();
    model = {config, params: r.params ?? (sameShape ? model.params : null)};
    setForm(config);
    saveConfig(config);
    ui.setValue('params', model.params ? ui.fmtInt(model.params) : '–', model.params);
    ui.setValue('step', ui.fmtInt(r.step), r.step);
    setState(r.step > 0 ? 'paused' : 'ready');
    await refreshSnapshot();
  } catch (e) {
    if (!e.fatal) ui.showError(`Import of ${file.name} failed: ${e.message}. The current model is unchanged.`);
  }
}

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
setState('loading');
scheduleDraw();
startWorker();
