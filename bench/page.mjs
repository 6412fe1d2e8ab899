// Measures the Latent Lab page itself in headless Debian Chromium: training
// speed with 1 and 2 workers on the small (preset default) and paper models,
// time from navigation to the first completed training round, the workers'
// WebAssembly memory, and the size of the wasm binary.
//
//   node page.mjs [--seconds N] [--models small,paper] [--workers 1,2] [--live 1,0] [--query batch=50]
//
// It starts the real server binary (../bin/server, from `make build`) on a
// free port, and gives every run a fresh Chromium profile, so each run loads
// the page, MNIST and the Go core cold. A run opens
// ?preset=...&workers=K&autostart=1, lets the page train for --seconds
// (default 15) and measures over all but the first WARMUP_MS: samples/s is
// the page's own count of trained samples between two round ends divided by
// the time between them (not the smoothed figure on screen). Each is run with
// the live views (what a person sees) and with ?live=0 (training alone, the
// views drawn only on Pause). --query adds options to the address, as a
// visitor would (batch=50 trains one worker on a shard's batch). The JSON goes to
// stdout, progress to stderr. CHROMIUM=/path overrides /usr/bin/chromium.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {launchChromium, startServer} from '../e2e/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SERVER = path.join(ROOT, 'bin', 'server');
const PRESETS = {small: 'default', paper: 'paper'};
const WARMUP_MS = 3000;
const LOAD_TIMEOUT_MS = 120_000;

/** log writes a progress line to stderr. */
function log(...a) {
  console.error('[page]', ...a);
}

/** fail prints msg to stderr and exits non-zero. */
function fail(msg) {
  console.error(`page: ${msg}`);
  process.exit(1);
}

/** parseArgs reads the command line; unknown flags are an error. */
function parseArgs(argv) {
  const o = {seconds: 15, models: ['small', 'paper'], workers: [1, 2], live: [true, false], query: ''};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--seconds': {
        const v = value();
        o.seconds = Number(v);
        if (!(o.seconds * 1000 > WARMUP_MS && o.seconds <= 3600)) fail(`--seconds ${JSON.stringify(v)}: want a number of seconds in (${WARMUP_MS / 1000}, 3600]`);
        break;
      }
      case '--models': {
        const v = value();
        o.models = (v ?? '').split(',').filter(Boolean);
        if (!o.models.length || o.models.some(m => !PRESETS[m])) fail(`--models ${JSON.stringify(v)}: want a comma-separated list of ${Object.keys(PRESETS).join(', ')}`);
        break;
      }
      case '--workers': {
        const v = value();
        o.workers = (v ?? '').split(',').filter(Boolean).map(Number);
        if (!o.workers.length || o.workers.some(k => !Number.isInteger(k) || k < 1 || k > 8)) fail(`--workers ${JSON.stringify(v)}: want a comma-separated list of integers in 1..8`);
        break;
      }
      case '--live': {
        const v = value();
        const l = (v ?? '').split(',').filter(Boolean);
        if (!l.length || l.some(x => x !== '0' && x !== '1')) fail(`--live ${JSON.stringify(v)}: want 1 (live views), 0 (none) or 1,0`);
        o.live = l.map(x => x === '1');
        break;
      }
      case '--query': {
        o.query = value() ?? '';
        if (!/^[\w.=&,-]*$/.test(o.query)) fail(`--query ${JSON.stringify(o.query)}: want options as in the page's address, like batch=50&lr_recon=0.001`);
        break;
      }
      default: fail(`unknown flag ${JSON.stringify(argv[i])}; use --seconds N, --models small,paper, --workers 1,2, --live 1,0, --query OPTIONS`);
    }
  }
  return o;
}

/** run measures one model × worker count in a fresh profile and returns its result row. */
async function run(url, model, workers, live, seconds, query) {
  const {context, version, profile} = await launchChromium(chromium);
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    await page.goto(`${url}?preset=${PRESETS[model]}&workers=${workers}&autostart=1&timing=1${live ? '' : '&live=0'}${query ? '&' + query : ''}`);
    const name = `${model}/${workers} worker(s)${live ? '' : '/no live views'}`;
    await page.waitForFunction(() => document.body.dataset.firstStepMs || document.body.dataset.state === 'error', null, {timeout: LOAD_TIMEOUT_MS})
      .catch(e => { throw new Error(`${name}: no training step within ${LOAD_TIMEOUT_MS / 1000} s (${e.message.split('\n')[0]})`); });
    const problem = async () => `${name}: page state ${await page.evaluate(() => document.body.dataset.state)}: `
      + `${await page.textContent('#error-text')} ${errors.join('; ')}`.trim();
    if (await page.evaluate(() => document.body.dataset.state) !== 'training') throw new Error(await problem());
    const firstStep = Number(await page.evaluate(() => document.body.dataset.firstStepMs));
    const got = await page.evaluate(() => window.latentlab.workers());
    if (got !== workers) throw new Error(`${name}: the page runs ${got} worker(s)`);

    // The main thread's busy time (Chromium's TaskDuration, in seconds).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const mainBusy = async () => (await cdp.send('Performance.getMetrics')).metrics.find(m => m.name === 'TaskDuration')?.value ?? NaN;
    await page.waitForTimeout(WARMUP_MS);
    const a = await page.evaluate(() => window.latentlab.stats());
    const busyA = await mainBusy();
    await page.waitForTimeout(seconds * 1000 - WARMUP_MS);
    const b = await page.evaluate(() => window.latentlab.stats());
    const busyB = await mainBusy();
    if (await page.evaluate(() => document.body.dataset.state) !== 'training') throw new Error(await problem());
    if (!(b.at > a.at && b.samples > a.samples)) throw new Error(`${name}: no training round completed in ${seconds * 1000 - WARMUP_MS} ms`);
    const sps = (b.samples - a.samples) / ((b.at - a.at) / 1000);
    if (live) await page.waitForFunction(() => document.body.dataset.firstSnapshotMs, null, {timeout: 10_000}).catch(() => {});
    const firstSnapshot = Number(await page.evaluate(() => document.body.dataset.firstSnapshotMs)) || null;
    const phases = await page.evaluate(() => window.latentlab.timing());
    const r = {
      model, workers, live,
      samples_per_sec: Number(sps.toFixed(1)),
      steps: b.steps - a.steps,
      seconds: Number(((b.at - a.at) / 1000).toFixed(3)),
      first_step_ms: Math.round(firstStep),
      first_snapshot_ms: firstSnapshot,
      wasm_memory_mb: Number((b.wasmBytes / 2 ** 20).toFixed(1)),
      recon: b.loss && b.loss.recon !== null ? Number(b.loss.recon.toFixed(2)) : null,
      breakdown: breakdown(a, b, busyB - busyA),
    };
    log(`${name}: ${r.samples_per_sec} samples/s (${r.steps} steps in ${r.seconds} s), first step at ${r.first_step_ms} ms,`,
      `wasm memory ${r.wasm_memory_mb} MiB, recon ${r.recon}`);
    const bd = r.breakdown;
    log(`${name}: per step ${bd.step_ms} ms of wall, ${bd.round_ms} in training rounds; per worker, ms of`,
      `compute / gradient sums / barrier wait: ${bd.workers.map(w => `${w.compute_ms} / ${w.reduce_ms} / ${w.wait_ms}`).join(', ')};`,
      `main thread busy ${(100 * bd.main_busy).toFixed(0)}%`);
    log(`${name}: start-up phases (ms since navigation; first snapshot drawn at ${firstSnapshot} ms):`);
    for (const t of phases) {
      log(`  ${String(Math.round(t.start)).padStart(6)} → ${String(Math.round(t.end)).padStart(6)} ${String(Math.round(t.end - t.start)).padStart(6)} ms  ${t.name}`);
    }
    return {version, r};
  } finally {
    await context?.close().catch(() => {});
    fs.rmSync(profile, {recursive: true, force: true});
  }
}

/**
 * breakdown says where the time of the steps between stats a and b went, in
 * ms per step: wall time; time inside training rounds (the rest is the live
 * views' snapshots and the page between rounds); per worker, its own
 * computation (the train call less the gradient sums), copying and adding
 * gradients, and waiting at the sums' barrier for the other workers; and the
 * share of the wall time the page's main thread was busy (mainBusySeconds).
 */
function breakdown(a, b, mainBusySeconds) {
  const steps = b.steps - a.steps, wall = b.at - a.at;
  const per = v => Number((v / steps).toFixed(1));
  return {
    step_ms: per(wall),
    round_ms: per(b.wall - a.wall),
    workers: b.time.map((t, i) => {
      const o = a.time[i] || {train: 0, reduce: 0, wait: 0};
      const reduce = t.reduce - o.reduce, wait = t.wait - o.wait;
      return {compute_ms: per(t.train - o.train - reduce - wait), reduce_ms: per(reduce), wait_ms: per(wait)};
    }),
    main_busy: Number((mainBusySeconds * 1000 / wall).toFixed(3)),
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const wasm = path.join(ROOT, 'assets', 'latentlab.wasm');
  for (const f of [SERVER, wasm, wasm + '.gz']) if (!fs.existsSync(f)) fail(`${f} is missing: run make build in ${ROOT}`);
  const {child, url} = await startServer(SERVER);
  try {
    log(`serving ${url}; ${o.seconds} s a run, the first ${WARMUP_MS / 1000} s not measured`);
    let chromiumVer = null;
    const results = [];
    for (const model of o.models) {
      for (const workers of o.workers) {
        for (const live of o.live) {
          const {version, r} = await run(url, model, workers, live, o.seconds, o.query);
          chromiumVer = version;
          results.push(r);
        }
      }
    }
    console.log(JSON.stringify({
      chromium: chromiumVer,
      wasm_bytes: fs.statSync(wasm).size,
      wasm_gzip_bytes: fs.statSync(wasm + '.gz').size,
      seconds: o.seconds,
      warmup_seconds: WARMUP_MS / 1000,
      results,
    }));
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch(e => fail(e.message));
