// The latent space, to look at and to touch: the plot of the test digits'
// codes (moved here from app.js), and what a visitor does with it. Hovering
// or dragging over the plot decodes the point under the pointer into
// #decode-canvas; a grid of decodes over the plot (the decoder's manifold)
// can be laid under the points; ten steps between two test digits' codes
// are decoded into #interp-canvas; a digit drawn on #draw-canvas is encoded
// as it is drawn: its reconstruction in #draw-recon, its code marked on the
// plot, a classifier's probabilities beside it. The Go core does every
// computation (core/view, explore.go); this module asks worker 0 for it, at most
// one request of each kind in flight and the latest wanted next, so a
// decode waits for at most the training round in flight.
import * as ui from './ui.js';

const $ = id => document.getElementById(id);
const TRAVERSE_N = 12;      // the traversal grid is TRAVERSE_N × TRAVERSE_N decodes
const DRAW_SIDE = 28;       // MNIST's digits: 28×28, the ink in a 20×20 box centred by its mass
const DRAW_BOX = 20;
const PAIR_MAX = 1000;      // interpolation picks among the plotted test digits
const VIEW_KEY = 'latentlab.latentView';  // how a code of more than 2 dimensions is plotted (remembered)

/**
 * latest runs ask(arg) with the most recent arg, one at a time: a call while
 * one is in flight replaces the waiting arg, so bursts (pointer moves,
 * strokes) cost one request per reply, and the last one always runs.
 */
function latest(ask) {
  let waiting = null, inFlight = false;
  const pump = async () => {
    if (inFlight || waiting === null) return;
    const arg = waiting;
    waiting = null;
    inFlight = true;
    try { await ask(arg); } catch { /* the model changed under it: the next snapshot redraws */ }
    inFlight = false;
    pump();
  };
  return arg => { waiting = arg; requestAnimationFrame(pump); };
}

/** niceStep rounds x up to 1, 2 or 5 times a power of ten. */
function niceStep(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map(k => k * p).find(s => s >= x);
}

export function fmtTick(v) {
  return String(+v.toPrecision(3));
}

/** latentRange returns the half-width of the view and its grid step for 2-D points (robust to outliers). */
export function latentRange(...sets) {
  let m = 0;
  for (const pts of sets) {
    if (!pts || !pts.length) continue;
    const a = [];
    for (const v of pts) if (Number.isFinite(v)) a.push(Math.abs(v));
    if (!a.length) continue;
    a.sort((x, y) => x - y);
    m = Math.max(m, a[Math.min(a.length - 1, Math.floor(a.length * 0.99))]);
  }
  const tick = niceStep((m || 1) / 3);
  return {range: Math.max(tick, Math.ceil(m * 1.05 / tick) * tick), tick};
}

/**
 * createLatent wires the latent views. request(type, payload) asks worker 0;
 * current() returns {model, snap}; onPick(r) takes a pick's result (the
 * label grid).
 */
export function createLatent({request, current, onPick}) {
  let map = null;         // {cx, cy, scale} of the last plot: CSS pixels of the origin, and per unit
  let grid = null;        // {pixels, n, range} of the traversal grid shown, or null
  let gridOn = false;
  let drawn = null;       // {point, recon, probs} of the drawn digit
  let interp = null;      // {pixels, path, i, j}
  let strokes = false;    // the drawing canvas has ink

  const plotPoint = ev => {
    const rect = $('latent-canvas').getBoundingClientRect();
    return {x: (ev.clientX - rect.left - map.cx) / map.scale, y: -(ev.clientY - rect.top - map.cy) / map.scale};
  };

  // ---- the plot ----

  function draw() {
    const {snap} = current();
    if (!snap || !snap.codes) return;
    const prior = snap.prior || new Float32Array(0);
    const {range, tick} = latentRange(snap.codes, prior);
    const pick = snap.caps.labelGenerator ? snap.pick : null;
    if (gridOn && (!grid || grid.range !== range || grid.step !== snap.step)) askGrid({range, step: snap.step});
    const r = ui.drawScatter($('latent-canvas'), {
      codes: snap.codes, labels: snap.labels, prior, range, tick, mark: pick,
      underlay: gridOn && grid ? (ctx, m) => drawGrid(ctx, m) : null,
      overlay: (ctx, m) => drawMarks(ctx, m),
    });
    map = r.map;
    const n = ui.fmtInt(snap.labels.length);
    const axes = snap.axes ? `dims ${snap.axes[0] + 1}–${snap.axes[1] + 1} of ${snap.latent}` : '';
    const how = snap.projection === 'pca' ? `PCA of ${snap.latent}-D codes` : axes ? axes + (snap.projectionError ? ' (no PCA)' : '') : '';
    const parts = [how, `${n} test codes`, prior.length ? 'prior in grey' : '', `grid ${fmtTick(tick)}`];
    const caption = $('latent-caption');
    caption.textContent = parts.filter(Boolean).join(' · ');
    caption.title = `${snap.projection === 'pca' ? `The ${snap.latent}-D codes on their first two principal axes` : axes ? `Code ${axes}` : 'Codes'} of the first ${n} test digits, `
      + `coloured by label${prior.length ? `, over ${ui.fmtInt(prior.length / 2)} samples of the prior in grey` : ''}.`
      + (r.outside ? ` ${r.outside} codes lie outside the view and are pinned to its edge.` : '')
      + ' Hover to decode the point under the pointer.'
      + (pick ? ' The cross marks the code the label grid decodes; click to pick another.' : '')
      + (snap.projectionError ? ` PCA failed: ${snap.projectionError}` : '');
  }

  /**
   * drawGrid lays the grid's image (its n×n decodes, drawn once when they
   * came) under the points: decode (row, col) centred on its point of the
   * plot, the points a step s = 2·range/(n−1) apart.
   */
  function drawGrid(ctx, m) {
    const {image, n, range} = grid;
    const s = 2 * range / (n - 1);
    ctx.save();
    ctx.globalAlpha = 0.9;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, m.cx - (range + s / 2) * m.scale, m.cy - (range + s / 2) * m.scale, n * s * m.scale, n * s * m.scale);
    ctx.restore();
  }

  /** drawMarks marks the drawn digit's code (a ring) and the interpolation's path (a line of dots). */
  function drawMarks(ctx, m) {
    if (interp && interp.path) {
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let f = 0; f < interp.path.length / 2; f++) {
        const x = m.cx + interp.path[2 * f] * m.scale, y = m.cy - interp.path[2 * f + 1] * m.scale;
        f ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke();
      ctx.fillStyle = '#111827';
      for (let f = 0; f < interp.path.length / 2; f++) {
        ctx.beginPath();
        ctx.arc(m.cx + interp.path[2 * f] * m.scale, m.cy - interp.path[2 * f + 1] * m.scale, 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    if (drawn && drawn.point) {
      const x = m.cx + drawn.point[0] * m.scale, y = m.cy - drawn.point[1] * m.scale;
      for (const [w, c] of [[5, '#ffffff'], [2.5, '#e11d48']]) {
        ctx.lineWidth = w;
        ctx.strokeStyle = c;
        ctx.beginPath();
        ctx.arc(x, y, 7, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
  }

  const askGrid = latest(async ({range, step}) => {
    const r = await request('traverse', {n: TRAVERSE_N, range});
    const image = document.createElement('canvas');
    ui.drawDigits(image, r.pixels, r.n * r.n, r.n, {gap: 0});
    grid = {image, n: r.n, range: r.range, step};
    draw();
  });

  // ---- hover ----

  const askDecode = latest(async p => {
    const r = await request('decodeAt', p);
    const c = $('decode-canvas');
    ui.drawDigits(c, r.pixels, 1, 1, {gap: 0});
    c.dataset.x = String(r.x);
    c.dataset.y = String(r.y);
    c.dataset.decodes = String(Number(c.dataset.decodes || 0) + 1);
    $('decode-caption').textContent = `(${r.x.toFixed(1)}, ${r.y.toFixed(1)})`;
  });

  // A label generator's style, dragged over the plot: the label grid follows (one pick at a time, the latest next).
  const askPick = latest(async p => onPick(await request('pick', p)));

  function onMove(ev) {
    if (!map || !current().snap) return;
    if (ev.pointerType === 'touch' && ev.type === 'pointermove' && !ev.buttons) return;
    askDecode(plotPoint(ev));
    const {model} = current();
    if (ev.buttons && model && model.caps.labelGenerator) askPick(plotPoint(ev));
  }

  async function onClick(ev) {
    const {model, snap} = current();
    if (!model || !model.caps.labelGenerator || !map || !snap) return;
    try {
      onPick(await request('pick', plotPoint(ev)));
    } catch (e) {
      if (!e.fatal) ui.showError(`Could not pick a code: ${e.message}`);
    }
  }

  // ---- interpolation ----

  /** pairLimit is how many test digits an interpolation may pick among: the plotted ones. */
  const pairLimit = () => Math.min(PAIR_MAX, (current().snap && current().snap.labels.length) || PAIR_MAX);

  function pairFromInputs() {
    const n = pairLimit();
    const get = id => Math.min(n - 1, Math.max(0, Math.floor(Number($(id).value)) || 0));
    return {i: get('interp-from'), j: get('interp-to')};
  }

  const askInterp = latest(async ({i, j}) => {
    try {
      const r = await request('interpolate', {i, j});
      interp = {...r, i, j};
      ui.drawDigits($('interp-canvas'), r.pixels, r.frames, r.frames, {gap: 1});
      $('interp-canvas').dataset.frames = String(r.frames);
      $('interp-caption').textContent = `test digits ${i} → ${j}, ${r.frames} steps`;
    } catch (e) {
      interp = null;
      $('interp-caption').textContent = e.message;
    }
    draw();
  });

  function randomPair() {
    const n = pairLimit();
    const {snap} = current();
    let i = Math.floor(Math.random() * n), j = Math.floor(Math.random() * n);
    // Two different digits, when the labels say so.
    for (let t = 0; t < 20 && snap && snap.labels[i] === snap.labels[j]; t++) j = Math.floor(Math.random() * n);
    $('interp-from').value = String(i);
    $('interp-to').value = String(j);
    askInterp({i, j});
  }

  // ---- drawing a digit ----

  const pad = $('draw-canvas');
  const pen = pad.getContext('2d', {willReadFrequently: true});
  // The drawing scaled to MNIST's box, made once (digitPixels runs at every pointer move).
  const box = document.createElement('canvas');
  box.width = DRAW_SIDE;
  box.height = DRAW_SIDE;
  const bctx = box.getContext('2d', {willReadFrequently: true});
  bctx.imageSmoothingQuality = 'high';
  let last = null;

  function clearPad() {
    pen.fillStyle = '#000';
    pen.fillRect(0, 0, pad.width, pad.height);
    strokes = false;
    drawn = null;
    ui.drawMessage($('draw-recon'), '');
    $('draw-probs').replaceChildren();
    $('draw-caption').textContent = 'with the mouse or a finger';
    draw();
  }

  function stroke(ev) {
    const rect = pad.getBoundingClientRect();
    const p = {x: (ev.clientX - rect.left) * pad.width / rect.width, y: (ev.clientY - rect.top) * pad.height / rect.height};
    pen.strokeStyle = '#fff';
    pen.fillStyle = '#fff';
    pen.lineWidth = pad.width / 12;
    pen.lineCap = pen.lineJoin = 'round';
    pen.beginPath();
    if (last) {
      pen.moveTo(last.x, last.y);
      pen.lineTo(p.x, p.y);
      pen.stroke();
    } else {
      pen.arc(p.x, p.y, pen.lineWidth / 2, 0, 2 * Math.PI);
      pen.fill();
    }
    last = p;
    strokes = true;
    askEncode(digitPixels());
  }

  /** digitPixels returns the drawing as MNIST draws its digits: the ink scaled into a 20×20 box, its centre of mass at the middle of 28×28. */
  function digitPixels() {
    const {width: w, height: h} = pad;
    const src = pen.getImageData(0, 0, w, h).data;
    let x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (src[4 * (y * w + x)] > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
    }
    const out = new Uint8Array(DRAW_SIDE * DRAW_SIDE);
    if (x1 < 0) return out;
    const s = DRAW_BOX / Math.max(x1 - x0 + 1, y1 - y0 + 1);
    const bw = Math.max(1, Math.round((x1 - x0 + 1) * s)), bh = Math.max(1, Math.round((y1 - y0 + 1) * s));
    bctx.clearRect(0, 0, DRAW_SIDE, DRAW_SIDE);
    bctx.drawImage(pad, x0, y0, x1 - x0 + 1, y1 - y0 + 1, 0, 0, bw, bh);
    const small = bctx.getImageData(0, 0, bw, bh).data;
    let mass = 0, mx = 0, my = 0;
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const v = small[4 * (y * bw + x)];
        mass += v; mx += v * x; my += v * y;
      }
    }
    const ox = Math.round(DRAW_SIDE / 2 - (mass ? mx / mass : bw / 2) - 0.5);
    const oy = Math.round(DRAW_SIDE / 2 - (mass ? my / mass : bh / 2) - 0.5);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const tx = x + ox, ty = y + oy;
        if (tx >= 0 && tx < DRAW_SIDE && ty >= 0 && ty < DRAW_SIDE) out[ty * DRAW_SIDE + tx] = small[4 * (y * bw + x)];
      }
    }
    return out;
  }

  const askEncode = latest(async pixels => {
    const r = await request('encodeDigit', {pixels});
    drawn = r;
    const c = $('draw-recon');
    ui.drawDigits(c, r.recon, 1, 1, {gap: 0});
    c.dataset.encodes = String(Number(c.dataset.encodes || 0) + 1);
    showProbs(r.probs);
    const {model} = current();
    $('draw-caption').textContent = r.point ? 'its code is ringed on the plot' : 'and its reconstruction';
    if (r.probs && model && model.config.labels > 0) {
      let best = 0;
      for (let k = 1; k < r.probs.length; k++) if (r.probs[k] > r.probs[best]) best = k;
      $('draw-caption').textContent = `the model reads a ${best} (${(100 * r.probs[best]).toFixed(0)} %)`;
    }
    draw();
  });

  /** showProbs draws a bar per class (digit, or cluster) of a classifier's probabilities. */
  function showProbs(probs) {
    const ol = $('draw-probs');
    if (!probs) { ol.replaceChildren(); return; }
    const {model} = current();
    const rows = [];
    for (let k = 0; k < probs.length; k++) {
      const li = document.createElement('li');
      li.title = `${model && model.config.labels > 0 ? 'digit' : 'cluster'} ${k}: ${(100 * probs[k]).toFixed(1)} %`;
      const bar = document.createElement('span');
      bar.style.height = `${Math.max(1, Math.round(100 * probs[k]))}%`;
      const label = document.createElement('small');
      label.textContent = String(k);
      li.append(bar, label);
      rows.push(li);
    }
    ol.replaceChildren(...rows);
  }

  // ---- wiring ----

  const canvas = $('latent-canvas');
  canvas.addEventListener('pointermove', onMove);
  canvas.addEventListener('pointerdown', onMove);
  canvas.addEventListener('click', onClick);
  $('traverse-toggle').onclick = () => {
    gridOn = !gridOn;
    $('traverse-toggle').setAttribute('aria-pressed', String(gridOn));
    grid = null;
    draw();
  };
  $('interp-random').onclick = randomPair;
  $('latent-view').addEventListener('change', () => {
    try { localStorage.setItem(VIEW_KEY, $('latent-view').value); } catch { /* storage unavailable */ }
    grid = null;
  });
  for (const id of ['interp-from', 'interp-to']) $(id).onchange = () => askInterp(pairFromInputs());
  pad.addEventListener('pointerdown', ev => {
    ev.preventDefault();
    pad.setPointerCapture(ev.pointerId);
    last = null;
    stroke(ev);
  });
  pad.addEventListener('pointermove', ev => { if (ev.buttons) stroke(ev); });
  const lift = () => { last = null; };
  pad.addEventListener('pointerup', lift);
  pad.addEventListener('pointercancel', lift);
  $('draw-clear').onclick = clearPad;
  clearPad();

  return {
    draw,
    /** cards says which of this module's cards a model with capabilities c shows (app.js lays them out). */
    cards: c => ({'card-draw': c.encoder && c.generator}),
    /** layout shows the exploration cards a model with capabilities c allows and fills the plot's dimension choices. */
    layout(c, config) {
      const explore = c.encoder && c.generator;
      $('decode-box').hidden = !explore;
      $('traverse-toggle').hidden = !explore;
      // A decoder that takes a class beside the code (semi-supervised) has no path between two codes alone.
      $('interp-box').hidden = !explore || c.reconstructor;
      const select = $('latent-view');
      const lat = config.latent;
      const want = ['pca'];
      for (let i = 0; i < lat && i < 8; i++) for (let j = i + 1; j < lat && j < 8; j++) want.push(`axes:${i},${j}`);
      let had = select.value;
      try { had = localStorage.getItem(VIEW_KEY) || had; } catch { /* storage unavailable */ }
      if (had === 'first') had = 'axes:0,1';
      select.replaceChildren(...want.map(v => {
        const o = document.createElement('option');
        o.value = v;
        o.textContent = v === 'pca' ? 'PCA' : `dims ${Number(v.split(/[:,]/)[1]) + 1}–${Number(v.split(/[:,]/)[2]) + 1}`;
        return o;
      }));
      select.value = want.includes(had) ? had : 'axes:0,1';
      grid = null;
      interp = null;
      if (strokes) askEncode(digitPixels());
    },
    /** reset forgets what belonged to the last model (its grid, interpolation, drawn digit's code). */
    reset() {
      grid = null;
      interp = null;
      drawn = null;
    },
    /** refresh redraws what depends on the weights after a snapshot: the grid, the interpolation, the drawn digit. */
    refresh() {
      if (!$('interp-box').hidden) askInterp(pairFromInputs());
      if (strokes) askEncode(digitPixels());
    },
  };
}
