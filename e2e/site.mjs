// What the browser tests share: one real server binary and one Chromium
// profile per test file (setUp, tearDown), so that a failure in one file
// cannot cascade into another; the helpers that read the page; and the
// record of state transitions js/state.js forbids, which every file checks
// last (noForbiddenTransitions).
//
// Needs `make build` first (bin/server, bin/latentlab) and Chromium at
// /usr/bin/chromium (override with CHROMIUM=/path). Run: cd e2e && node --test
// While editing the page, SITE_DIR=.. serves the working tree (server -dir)
// instead of the copy embedded in bin/server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {canvasPixels, launchChromium, startServer} from './harness.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'e2e', 'out');
const SERVER = path.join(ROOT, 'bin', 'server');
export const CLI = path.join(ROOT, 'bin', 'latentlab');
export const UNTRAINED_NATS = 784 * Math.LN2; // BCE of predicting 0.5 for every pixel: ≈ 543 nats
export const LONG_TASK_LIMIT_MS = 200;   // no main-thread task may take longer while training
export const SHOTS = path.join(os.tmpdir(), 'latentlab-presets'); // screenshots of the views

let server;    // the server child process
export let baseURL;
export let context;   // the browser context (persistent, fresh user-data-dir)
export let page;      // its first page
export let tmp;       // scratch directory, removed at the end
export const profiles = []; // Chromium profiles, removed at the end
const forbidden = []; // state transitions js/state.js forbids that a page attempted

/** setUp starts the server and Chromium (a fresh profile) for one test file. */
export async function setUp() {
  fs.mkdirSync(OUT, {recursive: true});
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-e2e-'));
  const siteDir = process.env.SITE_DIR ? ['-dir', path.resolve(process.env.SITE_DIR)] : [];
  ({child: server, url: baseURL} = await startServer(SERVER, siteDir));
  let profile;
  ({context, profile} = await launchChromium(chromium, {acceptDownloads: true, viewport: {width: 1280, height: 800}}));
  profiles.push(profile);
  // Every page of the run reports a transition js/state.js forbids (the last test fails on any).
  context.on('page', p => p.on('console', m => { if (/cannot go from/.test(m.text())) forbidden.push(m.text()); }));
  page = context.pages()[0] || await context.newPage();
  page.on('console', m => { if (/cannot go from/.test(m.text())) forbidden.push(m.text()); });
  page.on('pageerror', e => console.error('page error:', e.message));
  page.on('console', m => { if (m.type() === 'error') console.error('page console:', m.text()); });
  // Record every main-thread long task from before the page's scripts run.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', e => window.__csp.push(`${e.violatedDirective}: ${e.blockedURI}`));
    window.__longTasks = [];
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) window.__longTasks.push({start: e.startTime, duration: e.duration});
    }).observe({type: 'longtask', buffered: true});
  });
}

/** tearDown closes the browser and the server and removes the scratch files. */
export async function tearDown() {
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
  for (const p of profiles) fs.rmSync(p, {recursive: true, force: true});
}

/** noForbiddenTransitions fails if any page of the file attempted a transition js/state.js forbids. */
export function noForbiddenTransitions() {
  assert.deepEqual(forbidden, []);
}

/** readout returns the raw number in element #id's data-value attribute on page p, or null if it has none. */
export async function readout(id, p = page) {
  const v = await p.getAttribute(`#${id}`, 'data-value');
  return v === null || v === '' ? null : Number(v);
}

/** parseSafetensors returns the header (JSON) of a safetensors file and checks its layout. */
export function parseSafetensors(buf) {
  assert.ok(buf.length >= 8, `file of ${buf.length} bytes has no header length`);
  const n = Number(buf.readBigUInt64LE(0));
  assert.ok(8 + n <= buf.length, `header length ${n} exceeds the file (${buf.length} bytes)`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const size = {F32: 4, F16: 2};
  let end = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets;
    const count = t.shape.reduce((p, d) => p * d, 1);
    assert.equal(e - b, count * size[t.dtype], `${name}: data_offsets span ${e - b} bytes for shape ${t.shape} ${t.dtype}`);
    end = Math.max(end, e);
  }
  assert.equal(8 + n + end, buf.length, 'tensor data must end at the end of the file');
  return header;
}

/** canvasStats counts the pixels of canvas #id on page p (harness.mjs's canvasPixels). */
export function canvasStats(id, p = page) {
  return canvasPixels(p, id);
}

/** tensors returns name → Float32Array of an F32 safetensors file. */
export function tensors(buf) {
  const header = parseSafetensors(buf);
  const base = 8 + Number(buf.readBigUInt64LE(0));
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal(t.dtype, 'F32', name);
    const [b, e] = t.data_offsets;
    const bytes = buf.subarray(base + b, base + e);
    out[name] = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
  return out;
}

/**
 * runSteps opens a fresh page that trains exactly `steps` steps of the default
 * model with `workers` workers (URL parameters), and returns the downloaded
 * F32 weights, the summed losses of the last round and the page itself.
 */
export async function runSteps(query, steps) {
  const p = await context.newPage();
  p.on('pageerror', e => console.error('page error:', e.message));
  await p.goto(`${baseURL}?${query}&steps=${steps}&autostart=1`);
  await p.waitForFunction(s => ['paused', 'error'].includes(document.body.dataset.state)
    && document.getElementById('test-recon').dataset.step === String(s), steps, {timeout: 90_000})
    .catch(async e => { throw new Error(`${e.message}; state ${await p.evaluate(() => document.body.dataset.state)}: ${await p.textContent('#error-text')}`); });
  assert.equal(await p.evaluate(() => document.body.dataset.state), 'paused', await p.textContent('#error-text'));
  assert.equal(Number(await p.getAttribute('#step', 'data-value')), steps, 'the page stops at exactly ?steps');
  const stats = await p.evaluate(() => window.latentlab.stats());
  assert.equal(stats.steps, steps);
  assert.ok(Number(await p.evaluate(() => document.body.dataset.firstStepMs)) > 0, 'firstStepMs is recorded');
  await p.selectOption('#dtype', 'F32');
  const [download] = await Promise.all([p.waitForEvent('download'), p.click('#download')]);
  const file = path.join(tmp, `steps-${query.replace(/\W+/g, '-')}.safetensors`);
  await download.saveAs(file);
  const testRecon = Number(await p.getAttribute('#test-recon', 'data-value'));
  return {page: p, weights: tensors(fs.readFileSync(file)), loss: stats.loss, testRecon};
}

/** downloadF32 downloads the model of page p as F32 weights and returns its tensors. */
export async function downloadF32(p, name) {
  await p.selectOption('#dtype', 'F32');
  const [download] = await Promise.all([p.waitForEvent('download'), p.click('#download')]);
  const file = path.join(tmp, name);
  await download.saveAs(file);
  return tensors(fs.readFileSync(file));
}

/** canvasDigest hashes the pixels of canvas #id on page p (to compare two drawings). */
export function canvasDigest(p, id) {
  return p.evaluate(async id => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return [...new Uint8Array(await crypto.subtle.digest('SHA-256', d))].map(b => b.toString(16).padStart(2, '0')).join('');
  }, id);
}

/** snapshotAfter waits until page p has drawn a snapshot after the count n and returns the new count. */
export async function snapshotAfter(p, n, timeout = 60_000) {
  await p.waitForFunction(n => Number(document.body.dataset.snapshots || 0) > n && !window.latentlab.busy(), n, {timeout});
  return Number(await p.evaluate(() => document.body.dataset.snapshots));
}
