// Runs the TensorFlow.js peer benchmark (tfjs.html) in headless Debian
// Chromium and prints one JSON object with samples/s per model × backend.
//
//   node browser.mjs [--models small,paper] [--backends wasm,cpu] [--seconds N]
//   node browser.mjs --check     # 50 steps of small/wasm: the workload is real
//   node browser.mjs --cores N   # make the page see N logical cores (see below)
//
// It serves this folder (the page and node_modules) itself on 127.0.0.1 with
// COOP/COEP headers, so the page is cross-origin isolated and TF.js can pick
// its threaded SIMD wasm binary. The JSON goes to stdout, progress to stderr.
// CHROMIUM=/path overrides /usr/bin/chromium.
//
// TF.js 4.22's wasm backend uses at most navigator.hardwareConcurrency / 2
// threads, so 1 on a 2-core machine. --cores N is an experiment, not the
// peer's standard setting: it makes navigator.hardwareConcurrency read N in
// the page, to see what TF.js would do with more threads; results then carry
// "cores_override": N.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {launchChromium} from '../e2e/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};
// The cpu backend needs about ten seconds a step on `paper` on a small
// machine; it runs until it has at least this many timed steps.
const MIN_STEPS = 3;

/** log writes a progress line to stderr. */
function log(...a) {
  console.error('[bench]', ...a);
}

/** fail prints msg to stderr and exits non-zero. */
function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

/** parseArgs reads the command line; unknown flags are an error. */
function parseArgs(argv) {
  const o = {models: ['small', 'paper'], backends: ['wasm', 'cpu'], seconds: 20, check: false, cores: 0, impl: 'tuned'};
  const list = (flag, v, allowed) => {
    const xs = (v ?? '').split(',').filter(Boolean);
    if (xs.length === 0 || xs.some(x => !allowed.includes(x))) fail(`${flag} ${JSON.stringify(v)}: want a comma-separated list of ${allowed.join(', ')}`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--models': o.models = list(flag, value(), ['small', 'paper']); break;
      case '--backends': o.backends = list(flag, value(), ['wasm', 'cpu']); break;
      case '--seconds': {
        const v = value();
        o.seconds = Number(v);
        if (!(o.seconds > 0 && o.seconds <= 3600)) fail(`--seconds ${JSON.stringify(v)}: want a number of seconds in (0, 3600]`);
        break;
      }
      case '--cores': {
        const v = value();
        o.cores = Number(v);
        if (!(Number.isInteger(o.cores) && o.cores >= 1 && o.cores <= 64)) fail(`--cores ${JSON.stringify(v)}: want an integer in [1, 64]`);
        break;
      }
      case '--impl': {
        const v = value();
        if (v !== 'tuned' && v !== 'autodiff') fail(`--impl ${JSON.stringify(v)}: want tuned or autodiff`);
        o.impl = v;
        break;
      }
      case '--check': o.check = true; break;
      case '-h': case '--help':
        console.error('usage: node browser.mjs [--models small,paper] [--backends wasm,cpu] [--seconds N] [--impl tuned|autodiff] [--cores N] [--check]');
        process.exit(0);
        break;
      default: fail(`unknown argument ${JSON.stringify(argv[i])} (try --help)`);
    }
  }
  return o;
}

/**
 * serve starts a static server for this folder on 127.0.0.1 (a free port)
 * with the headers that make the page cross-origin isolated; it resolves
 * with the server and its base URL.
 */
function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/') rel = '/tfjs.html';
    const file = path.resolve(HERE, '.' + rel);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    if (rel === '/favicon.ico') {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (!file.startsWith(HERE + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      log(`404 ${url.pathname}`);
      res.writeHead(404, {...headers, 'Content-Type': 'text/plain'});
      res.end('not found');
      return;
    }
    res.writeHead(200, {...headers, 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream'});
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({server, url: `http://127.0.0.1:${server.address().port}/`}));
  });
}

/** runPage opens the page with query q in a fresh tab and resolves with its result; page errors reject. */
async function runPage(context, base, q) {
  const page = await context.newPage();
  let pageError = null;
  page.on('pageerror', e => { pageError ??= e; log('page error:', e.message); });
  page.on('console', m => {
    if (m.type() === 'error') log('page console error:', m.text());
    else if (m.type() === 'log') log(m.text());
  });
  page.on('requestfailed', r => log('request failed:', r.url(), r.failure()?.errorText));
  try {
    const resp = await page.goto(base + 'tfjs.html?' + new URLSearchParams(q), {waitUntil: 'load'});
    if (!resp || !resp.ok()) throw new Error(`tfjs.html answered ${resp?.status()}`);
    const ok = await page.evaluate(() => typeof tf === 'object' && typeof tf.wasm === 'object');
    if (!ok) throw new Error('TF.js did not load (is node_modules installed? run npm ci)');
    const result = await page.evaluate(() => window.benchDone.catch(e => {
      throw new Error(window.benchError || String(e));
    }));
    if (pageError) throw pageError;
    return result;
  } catch (e) {
    throw new Error(`tfjs.html?${new URLSearchParams(q)}: ${e.message}`);
  } finally {
    await page.close();
  }
}

/** main runs every requested model × backend, or the self-check, and prints the JSON. */
async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const f of ['node_modules/@tensorflow/tfjs/dist/tf.min.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js']) {
    if (!fs.existsSync(path.join(HERE, f))) fail(`${f} is missing: run npm ci in ${HERE}`);
  }
  const tfjsVersion = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;

  const {server, url} = await serve();
  const {context, version, profile} = await launchChromium(chromium);
  try {
    log(`Chromium ${version}, TF.js ${tfjsVersion}, serving ${url}`);
    if (o.cores) {
      log(`experiment: the page sees navigator.hardwareConcurrency = ${o.cores}`);
      await context.addInitScript(n => {
        Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {get: () => n, configurable: true});
      }, o.cores);
    }

    if (o.check) {
      const r = await runPage(context, url, {check: '1', backend: 'wasm', model: 'small'});
      log(`check: reconstruction loss ${r.recon_first.toFixed(2)} (step 1) → ${r.recon_last.toFixed(2)} (step ${r.steps});`,
        `mean of the first 5 steps ${r.recon_first5_mean.toFixed(2)}, of the last 5 ${r.recon_last5_mean.toFixed(2)}`);
      console.log(JSON.stringify({chromium: version, tfjs: tfjsVersion, check: r}));
      if (!r.ok) throw new Error(`self-check failed: ${r.problems.join('; ')}`);
      log('check passed');
      return;
    }

    const results = [];
    for (const model of o.models) {
      for (const backend of o.backends) {
        log(`${model}/${backend}: ${o.seconds} s (at least ${MIN_STEPS} timed steps)`);
        const r = await runPage(context, url, {backend, model, seconds: String(o.seconds), minsteps: String(MIN_STEPS), impl: o.impl});
        if (r.backend !== backend) throw new Error(`${model}/${backend}: the page ran on ${r.backend}`);
        log(`${model}/${backend}: ${r.samples_per_sec.toFixed(1)} samples/s (${r.steps} steps in ${r.seconds.toFixed(1)} s,`,
          `simd ${r.simd}, threads ${r.threads}, isolated ${r.isolated})`);
        results.push({
          model, backend, impl: r.impl,
          samples_per_sec: Number(r.samples_per_sec.toFixed(2)),
          steps: r.steps,
          seconds: Number(r.seconds.toFixed(3)),
          ms_per_step: Number(r.ms_per_step.toFixed(2)),
          simd: r.simd,
          multithread: r.multithread,
          threads: r.threads,
          isolated: r.isolated,
          hardware_concurrency: r.hardware_concurrency,
          ...(o.cores ? {cores_override: o.cores} : {}),
        });
      }
    }
    console.log(JSON.stringify({chromium: version, tfjs: tfjsVersion, results}));
  } finally {
    await context?.close().catch(() => {});
    server.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
}

main().catch(e => {
  console.error(`bench: ${e.message || e}`);
  process.exitCode = 1;
});
