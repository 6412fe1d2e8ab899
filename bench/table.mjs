// Prints the benchmark table of `make bench` from the JSON files the runs
// wrote into a folder: native.json and wasm-node.json (latentlab bench
// --json), page-R.json (page.mjs) and tfjs-R.json (browser.mjs) for rounds
// R = 1, 2, ... (or one page.json and tfjs.json), and torch.json
// (torch_step.py, the native peer). The browser figures of a machine shared
// with others move by a quarter from one minute to the next, so make bench
// runs the page and TF.js in turn, round after round, and each browser
// figure here is the median round's (its spread is printed too). A missing
// file leaves its rows blank rather than failing the table.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] || 'out';
const load = name => {
  const p = join(dir, name);
  if (!existsSync(p)) return null;
  try { return JSON.parse(readFileSync(p, 'utf8')); } catch (e) { console.error(`table: ${p}: ${e.message}`); return null; }
};
const native = load('native.json'), wasm = load('wasm-node.json'), torch = load('torch.json');

/**
 * rounds merges the files name.json or name-R.json into one: its fields
 * from the first, and for each result (the same key) the run of median
 * samples/s, with spread: the samples/s of every round.
 */
function rounds(name, key) {
  const files = existsSync(dir) ? readdirSync(dir).filter(f => f === `${name}.json` || new RegExp(`^${name}-\\d+\\.json$`).test(f)).sort() : [];
  const runs = files.map(load).filter(Boolean);
  if (!runs.length) return null;
  const groups = new Map();
  for (const run of runs) {
    for (const r of run.results || []) {
      const k = key(r);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
  }
  const results = [...groups.values()].map(g => {
    const sorted = [...g].sort((a, b) => a.samples_per_sec - b.samples_per_sec);
    return {...sorted[(sorted.length - 1) >> 1], spread: g.map(r => r.samples_per_sec)};
  });
  return {...runs[0], rounds: runs.length, results};
}
const page = rounds('page', r => `${r.model}/${r.workers}/${r.live ?? true}`);
const tfjs = rounds('tfjs', r => `${r.model}/${r.backend}`);

const fmt = (v, d = 0) => (v === undefined || v === null || Number.isNaN(v)) ? '—' : Number(v).toFixed(d);
const ratio = (a, b) => (a && b) ? `${(a / b).toFixed(2)}×` : '—';
function table(title, head, rows) {
  const all = [head, ...rows].map(r => r.map(String));
  const w = head.map((_, i) => Math.max(...all.map(r => r[i].length)));
  console.log(`\n${title}`);
  all.forEach((r, j) => {
    console.log('| ' + r.map((c, i) => i === 0 ? c.padEnd(w[i]) : c.padStart(w[i])).join(' | ') + ' |');
    if (j === 0) console.log('|' + w.map((n, i) => i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':').join('|') + '|');
  });
}

const report = (src, model) => src?.reports?.find(r => r.name === model);
// A page result with live views (what a person sees; older runs have no
// live field), or with live false: training alone (?live=0).
const pageRes = (model, workers, live = true) => page?.results?.find(r => r.model === model && r.workers === workers && (r.live ?? true) === live);
const peer = (model, backend) => tfjs?.results?.find(r => r.model === model && r.backend === backend);
const torchRes = model => torch?.results?.find(r => r.model === model);

const models = ['small', 'paper'];
const rows = [];
for (const m of models) {
  const n = report(native, m), w = report(wasm, m), p1 = pageRes(m, 1), p2 = pageRes(m, 2);
  const tw = peer(m, 'wasm'), tc = peer(m, 'cpu');
  rows.push([m, fmt(n?.samples_per_sec), fmt(w?.samples_per_sec), fmt(p1?.samples_per_sec), fmt(p2?.samples_per_sec),
    fmt(tw?.samples_per_sec), fmt(tc?.samples_per_sec, 1),
    ratio(p1?.samples_per_sec, tw?.samples_per_sec), ratio(p2?.samples_per_sec, tw?.samples_per_sec),
    ratio(p1?.samples_per_sec, tc?.samples_per_sec), ratio(p2?.samples_per_sec, p1?.samples_per_sec),
    ratio(n?.samples_per_sec, p1?.samples_per_sec)]);
}
table('Training samples/s (AAE step, batch 100)',
  ['model', 'native CLI', 'wasm (Node)', 'page 1 worker', 'page 2 workers', 'TF.js wasm', 'TF.js cpu',
    '1w / TF.js wasm', '2w / TF.js wasm', '1w / TF.js cpu', '2w / 1w', 'native / 1w'], rows);

const bare = models.map(m => {
  const p1 = pageRes(m, 1, false), p2 = pageRes(m, 2, false), tw = peer(m, 'wasm'), w = report(wasm, m);
  return [m, fmt(w?.samples_per_sec), fmt(p1?.samples_per_sec), fmt(p2?.samples_per_sec), ratio(p1?.samples_per_sec, w?.samples_per_sec),
    ratio(p2?.samples_per_sec, p1?.samples_per_sec), ratio(p1?.samples_per_sec, tw?.samples_per_sec), ratio(p2?.samples_per_sec, tw?.samples_per_sec)];
});
table('The native CLI against PyTorch on the CPU (the same step; torch with OpenBLAS, the fastest intra-op thread count tried)',
  ['model', 'native CLI', 'PyTorch', 'torch threads', 'native / PyTorch', 'native allocs/step', 'wasm allocs/step'],
  models.map(m => {
    const n = report(native, m), t = torchRes(m), w = report(wasm, m);
    return [m, fmt(n?.samples_per_sec), fmt(t?.samples_per_sec), t ? (t.runs || []).map(r => `${r.threads}: ${fmt(r.samples_per_sec)}`).join(', ') : '—',
      ratio(n?.samples_per_sec, t?.samples_per_sec), fmt(n?.allocs_per_step, 1), fmt(w?.allocs_per_step, 1)];
  }));

if (bare.some(r => r[2] !== '—')) {
  table('The page training alone (?live=0: no live views until Pause)',
    ['model', 'wasm (Node)', 'page 1 worker', 'page 2 workers', '1w / Node', '2w / 1w', '1w / TF.js wasm', '2w / TF.js wasm'], bare);
}

const brows = (page?.results || []).filter(r => r.breakdown).map(r => {
  const bd = r.breakdown, w = bd.workers;
  const f = k => w.map(x => fmt(x[k], 1)).join(' / ');
  return [r.model, r.workers, (r.live ?? true) ? 'on' : 'off', fmt(bd.step_ms, 1), fmt(bd.round_ms, 1),
    f('compute_ms'), f('reduce_ms'), f('wait_ms'), `${fmt(100 * bd.main_busy)}%`];
});
if (brows.length) {
  table('Where a page step goes (ms per step; per worker: worker 1 / worker 2)',
    ['model', 'workers', 'live views', 'wall', 'in rounds', 'compute', 'gradient sums', 'barrier wait', 'main thread busy'], brows);
}

table('Step efficiency: samples/s over the bound Σ FLOPs / kernel rate',
  ['model', 'GFLOP/step', 'native', 'native bound', 'native eff.', 'wasm', 'wasm bound', 'wasm eff.'],
  models.map(m => {
    const n = report(native, m), w = report(wasm, m);
    return [m, fmt(n?.gflop_per_step ?? w?.gflop_per_step, 3), fmt(n?.samples_per_sec), fmt(n?.bound_samples_per_sec),
      n ? `${fmt(100 * n.efficiency)}%` : '—', fmt(w?.samples_per_sec), fmt(w?.bound_samples_per_sec),
      w ? `${fmt(100 * w.efficiency)}%` : '—'];
  }));

const krows = [];
for (const m of models) {
  const n = report(native, m), w = report(wasm, m);
  for (const k of (n?.kernels || w?.kernels || [])) {
    if (k.n * k.in * k.out < 1e6) continue; // the big shapes carry the step
    const wk = w?.kernels?.find(x => x.kind === k.kind && x.n === k.n && x.in === k.in && x.out === k.out);
    const nk = n?.kernels?.find(x => x.kind === k.kind && x.n === k.n && x.in === k.in && x.out === k.out);
    krows.push([m, k.kind, `${k.n}×${k.in}×${k.out}`, k.per_step, fmt(nk?.gflops, 2), fmt(wk?.gflops, 2)]);
  }
}
table('Kernel GFLOP/s at the training shapes, on one step\'s own operands (over 1 M multiply-adds)', ['model', 'product', 'n×in×out', 'per step', 'native', 'wasm (Node)'], krows);

const spreads = [...(page?.results || []).map(r => [`page ${r.model}, ${r.workers} worker(s), live views ${(r.live ?? true) ? 'on' : 'off'}`, r.spread]),
  ...(tfjs?.results || []).map(r => [`TF.js ${r.backend}, ${r.model}`, r.spread])].filter(([, s]) => s && s.length > 1);
if (spreads.length) {
  table(`Browser figures by round (samples/s; the tables above give the median; ${page?.rounds ?? 1} page and ${tfjs?.rounds ?? 1} TF.js rounds, run in turn)`,
    ['run', 'rounds', 'min', 'median', 'max'],
    spreads.map(([name, s]) => {
      const v = [...s].sort((a, b) => a - b);
      return [name, v.map(x => fmt(x)).join(', '), fmt(v[0]), fmt(v[(v.length - 1) >> 1]), fmt(v[v.length - 1])];
    }));
}

if (page) {
  const r = page.results || [];
  table('Page cost', ['measure', 'value'], [
    ['wasm raw', page.wasm_bytes ? `${(page.wasm_bytes / 1e6).toFixed(2)} MB` : '—'],
    ['wasm gzip', page.wasm_gzip_bytes ? `${(page.wasm_gzip_bytes / 1e6).toFixed(2)} MB` : '—'],
    ...r.filter(x => x.live ?? true).map(x => [`first step, ${x.model}, ${x.workers} worker(s)`, `${fmt(x.first_step_ms)} ms`]),
    ...r.filter(x => x.live ?? true).map(x => [`wasm memory, ${x.model}, ${x.workers} worker(s)`, `${fmt(x.wasm_memory_mb)} MB`]),
  ]);
}
const ver = [native && `${native.go} ${native.arch} ${native.cores} cores, kernels ${native.kernels ?? '?'}`,
  wasm && `wasm kernels ${wasm.kernels ?? '?'}`, page?.chromium && `Chromium ${page.chromium}`,
  torch && `PyTorch ${torch.torch} (${torch.blas})`,
  tfjs && `TF.js ${tfjs.tfjs}` + (tfjs.results?.[0] ? ` (wasm threads ${tfjs.results.find(r => r.backend === 'wasm')?.threads}, SIMD ${tfjs.results.find(r => r.backend === 'wasm')?.simd})` : '')].filter(Boolean);
console.log(`\n${ver.join('; ')}`);
