// The page end to end: the real server binary, the real page in a real
// Chromium, real MNIST and the real Go core in WebAssembly. It loads, trains
// for a bounded time, evaluates, downloads weights that the native CLI
// checks, and is fed a corrupt file. The steps run in order on one page.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {canvasPixels, launchChromium, startServer} from './harness.mjs';
import {setUp, tearDown, noForbiddenTransitions, profiles, baseURL, context, page, tmp, ROOT, OUT, CLI, UNTRAINED_NATS, LONG_TASK_LIMIT_MS, SHOTS, readout, parseSafetensors, canvasStats, tensors, runSteps, downloadF32, canvasDigest, snapshotAfter} from './site.mjs';

before(setUp);
after(tearDown);

const TRAIN_MS = 25_000;          // how long the page trains

test('Latent Lab in the browser', async t => {
  await t.test('loads MNIST and the Go core, cross-origin isolated, under its content security policy', async () => {
    const resp = await page.goto(baseURL);
    assert.match(resp.headers()['content-security-policy'] || '', /script-src 'self' 'wasm-unsafe-eval'/);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, {timeout: 90_000});
    const state = await page.evaluate(() => document.body.dataset.state);
    assert.equal(state, 'ready', `page state ${state}: ${await page.textContent('#error-text')}`);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the server must send COOP/COEP headers');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'the page broke its own content security policy');
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const want = Math.max(1, Math.min(cores, 4));
    assert.equal(await page.evaluate(() => window.latentlab.workers()), want, `default worker count for ${cores} cores`);
    assert.equal(await page.textContent('#workers-count'), `(${want} worker${want === 1 ? '' : 's'})`);
    assert.match(await page.textContent('#workers option:checked'), /\(default\)/);
    assert.equal(await page.isVisible('#workers-note'), false, 'no fallback note when SharedArrayBuffer works');
    assert.equal(await readout('step'), 0);
    assert.ok(await readout('params') > 784, 'the parameter count is shown');
    assert.match(await page.textContent('footer'), /MNIST.*LeCun.*Cortes.*Burges.*CC BY-SA 3\.0/s);
  });

  await t.test(`trains for ${TRAIN_MS / 1000} s: loss falls, views draw, no long tasks`, async () => {
    const start = await page.evaluate(() => performance.now());
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.state === 'training');
    assert.equal(await page.textContent('#train'), 'Pause');
    const readings = [];
    const t0 = Date.now();
    while (Date.now() - t0 < TRAIN_MS) {
      await page.waitForTimeout(1000);
      const v = await readout('recon-loss');
      if (v !== null) readings.push(v);
    }
    const end = await page.evaluate(() => performance.now());
    const step = await readout('step');
    const sps = await readout('samples-per-sec');
    console.log(`trained to step ${step}, ${sps} samples/s; train recon readings (nats): ${readings.map(v => v.toFixed(1)).join(' ')}`);
    assert.ok(readings.length >= TRAIN_MS / 1000 - 3, `only ${readings.length} readings of #recon-loss`);
    const first = readings[0], last = readings[readings.length - 1];
    assert.ok(first > 0 && Number.isFinite(last), `readings ${first} … ${last}`);
    assert.ok(last < 0.8 * first, `recon loss fell from ${first} to only ${last}`);
    assert.ok(last < 0.6 * UNTRAINED_NATS, `recon loss ${last} is not well below the untrained ${UNTRAINED_NATS.toFixed(0)} nats`);
    assert.ok(step > 0 && sps > 0, `step ${step}, samples/s ${sps}`);

    const tasks = await page.evaluate(([a, b]) => window.__longTasks.filter(x => x.start + x.duration >= a && x.start <= b), [start, end]);
    const worst = Math.max(0, ...tasks.map(x => x.duration));
    console.log(`main-thread long tasks while training: ${tasks.length}, longest ${worst.toFixed(0)} ms`);
    assert.ok(worst <= LONG_TASK_LIMIT_MS, `a main-thread task took ${worst} ms while training`);

    // Pause: the views are redrawn from a final snapshot.
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.state === 'paused');
    assert.equal(await page.textContent('#train'), 'Resume');
    const pausedAt = await readout('step');
    await page.waitForFunction(s => document.getElementById('test-recon').dataset.step === String(s), pausedAt, {timeout: 15_000});
    const testRecon = await readout('test-recon');
    assert.ok(testRecon > 0 && testRecon < 0.8 * UNTRAINED_NATS, `1000-digit test recon ${testRecon}`);

    const recon = await canvasStats('recon-canvas');
    const samples = await canvasStats('samples-canvas');
    const latent = await canvasStats('latent-canvas');
    const losses = await canvasStats('loss-canvas');
    console.log('canvas stats', JSON.stringify({recon, samples, latent, losses}));
    for (const [name, s] of [['recon', recon], ['samples', samples]]) {
      // Digits: white ink on dark paper; a blank or saturated canvas fails.
      assert.ok(s.bright > 0.03 * s.opaque && s.bright < 0.6 * s.opaque, `${name}: ${s.bright} bright of ${s.opaque} pixels`);
      assert.ok(s.distinct >= 32, `${name}: only ${s.distinct} distinct colours`);
    }
    assert.ok(latent.colored >= 500, `latent scatter: only ${latent.colored} coloured pixels`);
    assert.ok(losses.colored >= 200, `loss curves: only ${losses.colored} coloured pixels`);
  });

  let testLoss;
  await t.test('evaluates on all 10,000 test digits', async () => {
    await page.click('#evaluate');
    await page.waitForFunction(() => document.getElementById('test-loss').dataset.value !== '', null, {timeout: 60_000});
    testLoss = await readout('test-loss');
    const step = await readout('step');
    assert.ok(testLoss > 0 && testLoss < 0.8 * UNTRAINED_NATS, `test loss ${testLoss}`);
    assert.equal(Number(await page.getAttribute('#test-loss', 'data-step')), step, 'the evaluation is labelled with its step');
    // A generator's evaluation carries the paper's Parzen-window log-likelihood.
    const parzen = Number(await page.getAttribute('#metrics dd[data-key="parzen_ll"]', 'data-value'));
    const sigma = Number(await page.getAttribute('#metrics dd[data-key="parzen_sigma"]', 'data-value'));
    assert.ok(Number.isFinite(parzen) && parzen > -2000 && parzen < 1000, `Parzen log-likelihood ${parzen}`);
    assert.ok(sigma >= 0.1 && sigma <= 1, `Parzen σ ${sigma}`);
    assert.doesNotMatch(await page.textContent('#metrics'), /parzen_/, 'the measures are named in words');
    console.log(`full test recon at step ${step}: ${testLoss} nats`);
    await page.mouse.move(0, 0); // no hover highlight in the picture
    await page.screenshot({path: path.join(OUT, 'page.png')});
  });

  let weights;
  await t.test('downloads F32 safetensors that the native CLI evaluates to the same loss', async () => {
    await page.selectOption('#dtype', 'F32');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.match(download.suggestedFilename(), /\.safetensors$/);
    weights = path.join(tmp, download.suggestedFilename());
    await download.saveAs(weights);
    const buf = fs.readFileSync(weights);
    const header = parseSafetensors(buf);
    const meta = header.__metadata__;
    assert.ok(meta && typeof meta.config === 'string', '__metadata__.config holds the model config');
    const config = JSON.parse(meta.config);
    const enc = header['encoder.0.weight'];
    assert.ok(enc, `no encoder.0.weight among ${Object.keys(header).join(', ')}`);
    assert.equal(enc.dtype, 'F32');
    assert.deepEqual(enc.shape, [config.encoder[0], 784], 'PyTorch layout: weight is (out, in)');
    const dec = Object.entries(header).filter(([k]) => k.startsWith('decoder.') && k.endsWith('.weight'));
    assert.ok(dec.some(([, v]) => v.shape[0] === 784), 'a decoder layer maps to 784 pixels');

    const {stdout} = await promisify(execFile)(CLI, ['eval', '--weights', weights], {cwd: ROOT, timeout: 60_000});
    const cli = JSON.parse(stdout.trim().split('\n').pop());
    console.log(`CLI eval: ${JSON.stringify(cli)}; page: ${testLoss}`);
    // Same weights, same 10,000 digits, same float32 arithmetic in the same Go
    // code; only the order of summation (chunks of 500 in the page) may differ,
    // which moves the mean by far less than 0.01 nats.
    assert.ok(Math.abs(cli.test_recon - testLoss) <= 0.01, `CLI test_recon ${cli.test_recon} vs page ${testLoss}`);
  });

  await t.test('rejects a corrupt import and a NaN file, keeps the model, trains on (Space)', async () => {
    const buf = fs.readFileSync(weights);
    const bad = path.join(tmp, 'truncated.safetensors');
    fs.writeFileSync(bad, buf.subarray(0, Math.floor(buf.length / 2)));
    const before = await readout('step');
    assert.equal(await page.isVisible('#error'), false);
    await page.setInputFiles('#import', bad);
    await page.waitForSelector('#error', {state: 'visible', timeout: 15_000});
    const message = await page.textContent('#error-text');
    assert.match(message, /truncated\.safetensors/);
    assert.ok(message.length > 40, `error message too thin: ${message}`);
    assert.equal(await readout('step'), before, 'a failed import leaves the model alone');
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'paused');

    await page.click('#error-dismiss');
    // A well-formed file whose weights diverged (a NaN in the first tensor)
    // is refused too, saying why.
    const header = parseSafetensors(buf);
    const nan = Buffer.from(buf);
    const first = Object.entries(header).find(([k]) => k !== '__metadata__')[1];
    nan.writeFloatLE(NaN, 8 + Number(buf.readBigUInt64LE(0)) + first.data_offsets[0]);
    const nanFile = path.join(tmp, 'nan.safetensors');
    fs.writeFileSync(nanFile, nan);
    await page.setInputFiles('#import', nanFile);
    await page.waitForSelector('#error', {state: 'visible', timeout: 15_000});
    assert.match(await page.textContent('#error-text'), /nan\.safetensors.*holds NaN.*diverged/);
    assert.equal(await readout('step'), before, 'a refused NaN file leaves the model alone');
    await page.click('#error-dismiss');
    assert.equal(await page.isVisible('#error'), false);
    // Space trains and pauses, as Train's title says (the keyboard off any control).
    assert.match(await page.getAttribute('#train', 'title'), /Space/);
    await page.click('h1');
    await page.keyboard.press('Space');
    await page.waitForFunction(b => Number(document.getElementById('step').dataset.value) > b, before, {timeout: 15_000});
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'training');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.body.dataset.state === 'paused');
  });
});

test('no page attempted a state transition js/state.js forbids', noForbiddenTransitions);
