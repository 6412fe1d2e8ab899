// Small drawing and status verbs for the Latent Lab page. Nothing here knows
// about the model; every function draws what it is given and returns.

const TILE = 28;                 // MNIST digits are 28×28
const INK = [255, 255, 255];     // digit pixel 255
const PAPER = [18, 21, 31];      // digit pixel 0

/** DIGIT_COLORS are the scatter colours of digits 0..9 (distinct, readable on white). */
export const DIGIT_COLORS = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#3f3f46', '#bcbd22', '#17becf',
];

const PALETTE = (() => {
  // Grey level → RGBA, built once: drawing a digit is then a table look-up per pixel.
  const p = new Uint32Array(256);
  const view = new DataView(p.buffer);
  for (let v = 0; v < 256; v++) {
    const t = v / 255;
    const rgb = PAPER.map((c, i) => Math.round(c + (INK[i] - c) * t));
    view.setUint8(v * 4, rgb[0]);
    view.setUint8(v * 4 + 1, rgb[1]);
    view.setUint8(v * 4 + 2, rgb[2]);
    view.setUint8(v * 4 + 3, 255);
  }
  return p;
})();

const images = new WeakMap(); // canvas → reused ImageData

/**
 * drawDigits draws 28×28 grey images (0..255) as a grid on canvas, at one
 * canvas pixel per image pixel (CSS scales it). pixels holds count images
 * back to back; tile i goes to row floor(i/cols). Rows are separated by gap
 * pixels, and every groupRows rows by groupGap more (0: no groups).
 */
export function drawDigits(canvas, pixels, count, cols, {gap = 1, groupRows = 0, groupGap = 0} = {}) {
  const rows = Math.ceil(count / cols);
  const groups = groupRows ? Math.ceil(rows / groupRows) : 1;
  const w = cols * TILE + (cols - 1) * gap;
  const h = rows * TILE + (rows - 1) * gap + (groups - 1) * groupGap;
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  let img = images.get(canvas);
  if (!img || img.width !== w || img.height !== h) {
    img = new ImageData(w, h);
    images.set(canvas, img);
  }
  const out = new Uint32Array(img.data.buffer);
  out.fill(0); // transparent gaps show the card behind
  for (let i = 0; i < count; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    const x0 = c * (TILE + gap);
    const y0 = r * (TILE + gap) + (groupRows ? Math.floor(r / groupRows) * groupGap : 0);
    const src = i * TILE * TILE;
    for (let y = 0; y < TILE; y++) {
      const o = (y0 + y) * w + x0, s = src + y * TILE;
      for (let x = 0; x < TILE; x++) out[o + x] = PALETTE[pixels[s + x]];
    }
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
}

/** interleaveRows returns, for pairs of image sets a and b (n images each), rows of cols images of a, then of b, alternating. */
export function interleaveRows(a, b, n, cols) {
  const out = new Uint8Array(2 * n * TILE * TILE);
  const size = cols * TILE * TILE;
  let o = 0;
  for (let start = 0; start < n; start += cols) {
    const len = Math.min(cols, n - start) * TILE * TILE;
    out.set(a.subarray(start * TILE * TILE, start * TILE * TILE + len), o);
    out.set(b.subarray(start * TILE * TILE, start * TILE * TILE + len), o + size);
    o += 2 * size;
  }
  return out;
}

/** fitCanvas sizes canvas to its CSS box at device resolution and returns a context drawing in CSS pixels. */
export function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth), h = Math.max(1, canvas.clientHeight);
  const pw = Math.round(w * dpr), ph = Math.round(h * dpr);
  if (canvas.width !== pw || canvas.height !== ph) {
    canvas.width = pw;
    canvas.height = ph;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return {ctx, w, h};
}

/**
 * drawScatter plots 2-D codes coloured by label over grey prior samples, on
 * fixed axes: the shorter side spans ±range, units are equal on both axes;
 * mark (x, y), if given, is drawn as a cross; underlay(ctx, map) draws
 * under the points, overlay(ctx, map) over them. It returns {outside, map}: how
 * many codes fell outside the view, and {cx, cy, scale}, where the origin is
 * in CSS pixels and how many CSS pixels a unit spans (y grows upwards).
 */
export function drawScatter(canvas, {codes, labels, prior, range, tick, mark = null, underlay = null, overlay = null}) {
  const {ctx, w, h} = fitCanvas(canvas);
  const pad = 6;
  const scale = (Math.min(w, h) / 2 - pad) / range;
  const cx = w / 2, cy = h / 2;
  // grid: lines every tick units, labelled on the axes
  ctx.lineWidth = 1;
  ctx.font = '10px system-ui, sans-serif';
  ctx.fillStyle = '#9aa0b0';
  ctx.textAlign = 'center';
  const kx = Math.floor((w / 2) / scale / tick), ky = Math.floor((h / 2) / scale / tick);
  for (let k = -kx; k <= kx; k++) {
    const x = Math.round(cx + k * tick * scale) + 0.5;
    ctx.strokeStyle = k === 0 ? '#cfd3de' : '#eef0f4';
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke();
    if (k !== 0) ctx.fillText(fmtTick(k * tick), x, cy + 12);
  }
  ctx.textAlign = 'left';
  for (let k = -ky; k <= ky; k++) {
    const y = Math.round(cy - k * tick * scale) + 0.5;
    ctx.strokeStyle = k === 0 ? '#cfd3de' : '#eef0f4';
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    if (k !== 0) ctx.fillText(fmtTick(k * tick), cx + 4, y + 3);
  }
  if (underlay) underlay(ctx, {cx, cy, scale});
  ctx.fillStyle = '#c3c8d4';
  for (let i = 0; i < prior.length; i += 2) {
    ctx.fillRect(cx + prior[i] * scale - 1, cy - prior[i + 1] * scale - 1, 2, 2);
  }
  let outside = 0;
  const n = labels.length;
  for (let d = 0; d < 10; d++) {          // one colour at a time: fewer state changes
    ctx.fillStyle = DIGIT_COLORS[d];
    for (let i = 0; i < n; i++) {
      if (labels[i] !== d) continue;
      let x = cx + codes[2 * i] * scale, y = cy - codes[2 * i + 1] * scale;
      if (!(x >= 0 && x <= w && y >= 0 && y <= h)) {
        outside++;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        x = Math.min(w - 2, Math.max(2, x)); // pinned to the edge so the spill is visible
        y = Math.min(h - 2, Math.max(2, y));
      }
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
  }
  if (outside) {
    ctx.fillStyle = '#6b7285';
    ctx.textAlign = 'left';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(`${outside} outside the view`, 4, h - 4);
  }
  if (mark && Number.isFinite(mark[0]) && Number.isFinite(mark[1])) {
    const x = cx + mark[0] * scale, y = cy - mark[1] * scale;
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ffffff';
    for (const pass of [0, 1]) {
      if (pass) { ctx.lineWidth = 1.5; ctx.strokeStyle = '#111827'; }
      ctx.beginPath();
      ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y);
      ctx.moveTo(x, y - 7); ctx.lineTo(x, y + 7);
      ctx.stroke();
    }
  }
  if (overlay) overlay(ctx, {cx, cy, scale});
  return {outside, map: {cx, cy, scale}};
}

/** drawMessage clears a CSS-sized canvas and writes text in its middle (a view that cannot be drawn says why). */
export function drawMessage(canvas, text) {
  const {ctx, w, h} = fitCanvas(canvas);
  ctx.fillStyle = '#6b7285';
  ctx.font = '12px system-ui, sans-serif';
  ctx.textAlign = 'center';
  // Wrap at about the canvas width.
  const words = String(text).split(/\s+/);
  const lines = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > w - 24 && line) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  lines.forEach((l, i) => ctx.fillText(l, w / 2, h / 2 + (i - (lines.length - 1) / 2) * 16));
}

/**
 * drawTiles draws count 28×28 grey images (0..255, back to back in pixels)
 * on a canvas sized by CSS, as rows of cols tiles scaled to fit, crisp: with
 * captions (one per tile, under it) and/or rowCaptions (one per row, at its
 * left); blocks > 1 splits the rows into that many side-by-side blocks, and
 * blocks 0 picks the number (1 to 4) that gives the largest tiles.
 */
export function drawTiles(canvas, {pixels, count, cols, captions = null, rowCaptions = null, blocks = 1}) {
  const {ctx, w, h} = fitCanvas(canvas);
  const rows = Math.ceil(count / cols);
  const left = rowCaptions ? 52 : 0, under = captions ? 14 : 0, gap = 2, blockGap = 12;
  const tileFor = b => {
    const per = Math.ceil(rows / b);
    const tw = (w - b * left - (b - 1) * blockGap - b * (cols - 1) * gap) / (b * cols);
    const th = (h - (per - 1) * gap - per * under) / per;
    return Math.floor(Math.min(tw, th));
  };
  if (!blocks) blocks = [1, 2, 3, 4].filter(b => b <= rows).reduce((best, b) => (tileFor(b) > tileFor(best) ? b : best), 1);
  const perBlock = Math.ceil(rows / blocks);
  const t = Math.max(4, tileFor(blocks));
  const blockW = left + cols * t + (cols - 1) * gap;
  const totalW = blocks * blockW + (blocks - 1) * blockGap;
  const totalH = perBlock * (t + under) + (perBlock - 1) * gap;
  const x0 = Math.max(0, Math.floor((w - totalW) / 2)), y0 = Math.max(0, Math.floor((h - totalH) / 2));
  // The images at one pixel per pixel, then scaled up without smoothing.
  const src = document.createElement('canvas');
  drawDigits(src, pixels, count, cols, {gap: 0});
  ctx.imageSmoothingEnabled = false;
  ctx.font = `${Math.min(11, Math.max(8, t))}px system-ui, sans-serif`;
  ctx.fillStyle = '#6b7285';
  for (let r = 0; r < rows; r++) {
    const b = Math.floor(r / perBlock), rr = r % perBlock;
    const bx = x0 + b * (blockW + blockGap), y = y0 + rr * (t + under + gap);
    if (rowCaptions && rowCaptions[r] !== undefined) {
      ctx.textAlign = 'right';
      ctx.fillText(rowCaptions[r], bx + left - 6, y + t / 2 + 4);
    }
    for (let c = 0; c < cols && r * cols + c < count; c++) {
      const i = r * cols + c, x = bx + left + c * (t + gap);
      ctx.drawImage(src, c * TILE, r * TILE, TILE, TILE, x, y, t, t);
      if (captions && captions[i] !== undefined) {
        ctx.textAlign = 'center';
        ctx.fillText(captions[i], x + t / 2, y + t + 11);
      }
    }
  }
}

function fmtTick(v) {
  return Math.abs(v) >= 1000 ? v.toExponential(0) : String(+v.toPrecision(3));
}

/**
 * History keeps (step, value) points of one loss curve. When it holds more
 * than max points it halves itself by averaging neighbours, so drawing stays
 * cheap however long training runs.
 */
export class History {
  constructor(max = 1200) {
    this.max = max;
    this.clear();
  }
  clear() {
    this.x = [];
    this.y = [];
  }
  push(x, y) {
    if (y === null || y === undefined || !Number.isFinite(y)) return;
    this.x.push(x);
    this.y.push(y);
    if (this.x.length > this.max) {
      const n = Math.floor(this.x.length / 2);
      for (let i = 0; i < n; i++) {
        this.x[i] = this.x[2 * i + 1];
        this.y[i] = (this.y[2 * i] + this.y[2 * i + 1]) / 2;
      }
      const odd = this.x.length % 2;
      if (odd) {
        this.x[n] = this.x[this.x.length - 1];
        this.y[n] = this.y[this.y.length - 1];
      }
      this.x.length = this.y.length = n + odd;
    }
  }
  get last() {
    return this.y.length ? this.y[this.y.length - 1] : null;
  }
}

/**
 * drawLossCurves draws one small panel per curve, stacked, sharing the step
 * axis; each panel has its own y scale and prints its latest value. Curves
 * with the same group share one panel (and its scale), titled groupLabel. A
 * curve with no points prints its `empty` note instead.
 */
export function drawLossCurves(canvas, curves) {
  const {ctx, w, h} = fitCanvas(canvas);
  let x0 = Infinity, x1 = -Infinity;
  for (const c of curves) {
    if (c.history.x.length) {
      x0 = Math.min(x0, c.history.x[0]);
      x1 = Math.max(x1, c.history.x[c.history.x.length - 1]);
    }
  }
  if (!(x1 > x0)) { x0 = 0; x1 = Math.max(1, x1); }
  const panels = [];
  for (const c of curves) {
    const p = c.group && panels.find(q => q.group === c.group);
    if (p) p.curves.push(c);
    else panels.push({group: c.group, label: c.group ? c.groupLabel || c.group : c.label, curves: [c]});
  }
  const left = 46, right = 8, axis = 16, gap = 8;
  const ph = (h - axis - gap * (panels.length - 1)) / panels.length;
  ctx.font = '11px system-ui, sans-serif';
  panels.forEach((panel, k) => {
    const top = k * (ph + gap);
    ctx.fillStyle = '#f7f8fb';
    ctx.fillRect(left, top, w - left - right, ph);
    ctx.fillStyle = '#1d2230';
    ctx.textAlign = 'left';
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.fillText(panel.label, left + 6, top + 13);
    ctx.font = '11px system-ui, sans-serif';
    const withData = panel.curves.filter(c => c.history.y.length);
    if (!withData.length) {
      ctx.fillStyle = '#9aa0b0';
      ctx.fillText(panel.curves[0].empty || 'no data yet', left + 6, top + 28);
      return;
    }
    // The y scale ignores the first 5 % of a long curve (the steep start),
    // so the part still moving stays readable; the start is clipped.
    let lo = Infinity, hi = -Infinity;
    for (const c of withData) {
      const y = c.history.y;
      for (let i = y.length > 40 ? Math.floor(y.length * 0.05) : 0; i < y.length; i++) {
        if (y[i] < lo) lo = y[i];
        if (y[i] > hi) hi = y[i];
      }
    }
    if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
    const padY = (hi - lo) * 0.08;
    lo -= padY; hi += padY;
    const sx = (w - left - right) / (x1 - x0), sy = (ph - 18) / (hi - lo);
    const py = v => top + 18 + (hi - v) * sy;
    ctx.fillStyle = '#9aa0b0';
    ctx.textAlign = 'right';
    ctx.fillText(fmtLoss(hi - padY), left - 4, py(hi - padY) + 4);
    ctx.fillText(fmtLoss(lo + padY), left - 4, py(lo + padY) + 2);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top + 16, w - left - right, ph - 16);
    ctx.clip();
    ctx.lineJoin = 'round';
    for (const c of withData) {
      const {x, y} = c.history;
      ctx.strokeStyle = c.color;
      // Raw values faint, an exponential moving average (span n/40) bold on top.
      const alpha = 2 / (Math.max(1, y.length / 40) + 1);
      for (const smooth of [false, true]) {
        ctx.globalAlpha = smooth ? 1 : 0.3;
        ctx.lineWidth = smooth ? 1.75 : 1;
        ctx.beginPath();
        let m = y[0];
        for (let i = 0; i < x.length; i++) {
          m = smooth ? m + alpha * (y[i] - m) : y[i];
          const px = left + (x[i] - x0) * sx;
          if (i === 0) ctx.moveTo(px, py(m)); else ctx.lineTo(px, py(m));
        }
        ctx.stroke();
      }
    }
    ctx.restore();
    // Latest values, right-aligned: one per curve, each in its colour.
    ctx.textAlign = 'right';
    ctx.font = '600 11px system-ui, sans-serif';
    let xr = w - right - 6;
    for (const c of [...withData].reverse()) {
      const y = c.history.y;
      const text = `${panel.group ? `${c.short || c.label} ` : ''}${fmtLoss(y[y.length - 1])}${c.unit ? ' ' + c.unit : ''}`;
      ctx.fillStyle = c.color;
      ctx.fillText(text, xr, top + 13);
      xr -= ctx.measureText(text).width + 10;
    }
    ctx.font = '11px system-ui, sans-serif';
  });
  ctx.fillStyle = '#9aa0b0';
  ctx.textAlign = 'left';
  ctx.fillText(`step ${Math.round(x0).toLocaleString('en-US')}`, left, h - 3);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${Math.round(x1).toLocaleString('en-US')}`, w - right, h - 3);
}

function fmtLoss(v) {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(3) : v.toFixed(4);
}

/** setValue shows text in element #id and stores the raw number in its data-value attribute. */
export function setValue(id, text, value) {
  const el = document.getElementById(id);
  el.textContent = text;
  el.dataset.value = value === null || value === undefined ? '' : String(value);
}

/** setBar sets a progress bar (the inner element #id) to fraction 0..1. */
export function setBar(id, fraction) {
  const el = document.getElementById(id);
  const f = Math.max(0, Math.min(1, fraction || 0));
  el.style.width = `${(f * 100).toFixed(1)}%`;
  el.dataset.value = String(f);
}

/** setStatus records the page state on <body data-state> and in the status pill. */
export function setStatus(state) {
  document.body.dataset.state = state;
  document.getElementById('state-pill').textContent = state;
}

/**
 * showError shows message in the dismissable error banner; actions may offer
 * {retry: fn} and/or {restart: fn} buttons, and {revert: {label, run}}.
 */
export function showError(message, actions = {}) {
  const banner = document.getElementById('error');
  document.getElementById('error-text').textContent = message;
  for (const [name, id] of [['retry', 'error-retry'], ['restart', 'error-restart'], ['revert', 'error-revert']]) {
    const b = document.getElementById(id);
    const a = actions[name];
    const run = a && (a.run || a);
    b.hidden = !a;
    if (a && a.label) b.textContent = a.label;
    b.onclick = a ? () => { hideError(); run(); } : null;
  }
  banner.hidden = false;
}

/** hideError hides the error banner. */
export function hideError() {
  document.getElementById('error').hidden = true;
}

/** drawLegend fills the <ol> with one swatch per digit. */
export function drawLegend(ol) {
  ol.replaceChildren(...DIGIT_COLORS.map((color, d) => {
    const li = document.createElement('li');
    const i = document.createElement('i');
    i.style.background = color;
    li.append(i, String(d));
    return li;
  }));
}

/** fmtInt formats an integer with thousands separators. */
export function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** fmtBytes formats a byte count in MB. */
export function fmtBytes(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}
