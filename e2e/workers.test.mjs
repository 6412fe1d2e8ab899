// Data-parallel training in the page: 2 workers follow the 1-worker run of
// the same seed and their replicas stay bit-identical; a reload continues
// the saved training exactly; live views off; a diverging training; the
// worker count's bounds and the one-worker fallback without
// SharedArrayBuffer.
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

test('data-parallel workers', async t => {
  const STEPS = 30;
  let one, two;
  await t.test(`1 worker: ${STEPS} steps`, async () => {
    one = await runSteps('preset=default&workers=1', STEPS);
    assert.equal(await one.page.evaluate(() => window.latentlab.workers()), 1);
    await one.page.close();
  });

  await t.test(`2 workers: ${STEPS} steps follow the 1-worker run; replicas are bit-identical`, async () => {
    two = await runSteps('preset=default&workers=2', STEPS);
    assert.equal(await two.page.evaluate(() => window.latentlab.workers()), 2);
    assert.equal(await two.page.textContent('#workers-count'), '(2 workers)');
    // Both replicas hash their own weights: any difference at all would show.
    const sums = await two.page.evaluate(() => window.latentlab.checksums());
    assert.equal(sums.length, 2);
    assert.equal(sums[0], sums[1], 'the replicas in the two workers differ');
    await two.page.close();

    // Same seed, same batches, same arithmetic, except that two half batches
    // sum their gradients in a different order than one whole batch does, so
    // the weights agree to float rounding, amplified a little by 30 Adam
    // steps: well under 1e-3 for weights mostly of magnitude ~0.05 (the largest
    // ~0.7); a real divergence (a replica on the wrong rows, a missed sum)
    // moves them by ~lr = 1e-3 a step.
    let worst = 0, names = 0, biggest = 0;
    for (const [name, a] of Object.entries(one.weights)) {
      const b = two.weights[name];
      assert.ok(b && b.length === a.length, `${name} missing or resized with 2 workers`);
      names++;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        biggest = Math.max(biggest, Math.abs(a[i]));
      }
    }
    console.log(`${names} tensors; largest weight ${biggest.toFixed(3)}, largest 1- vs 2-worker difference ${worst.toExponential(2)}`);
    assert.equal(names, Object.keys(two.weights).length);
    assert.ok(worst < 1e-3, `weights differ by up to ${worst}`);
    assert.ok(biggest > 0.01, 'the weights are not all ~0');
    console.log('losses at the last round, 1 worker:', JSON.stringify(one.loss), '2 workers:', JSON.stringify(two.loss));
    assert.equal(two.loss.step, STEPS);
    for (const k of ['recon', 'disc', 'gen']) {
      const a = one.loss[k], b = two.loss[k];
      assert.ok(Number.isFinite(a) && a > 0, `${k} loss ${a}`);
      assert.ok(Math.abs(a - b) <= 1e-3 * Math.abs(a), `${k} loss: 1 worker ${a}, 2 workers ${b}`);
    }
    // The snapshot's loss over 1000 test digits: with 2 workers each computed
    // half of the digits' codes and losses and the halves were gathered.
    console.log(`1000-digit test recon, 1 worker ${one.testRecon}, 2 workers ${two.testRecon}`);
    assert.ok(one.testRecon > 0 && Math.abs(one.testRecon - two.testRecon) <= 1e-3 * one.testRecon,
      `test recon over 1000 digits: 1 worker ${one.testRecon}, 2 workers ${two.testRecon}`);
  });

  await t.test('a reload continues the saved training exactly: 20 steps, reload, 10 more are the 30 straight', async () => {
    for (const [workers, straight] of [[1, one], [2, two]]) {
      const p = await context.newPage();
      p.on('pageerror', e => console.error('page error:', e.message));
      await p.goto(`${baseURL}?preset=default&workers=${workers}&steps=20&autostart=1`);
      await p.waitForFunction(() => document.body.dataset.savedStep === '20', null, {timeout: 90_000});
      assert.match(await p.textContent('#saved-note'), /Saved in this browser at step 20/);
      const curve = (await p.evaluate(() => window.latentlab.losses())).recon;
      // No ?preset: the saved model comes back, and ?steps=10 trains on from it.
      await p.goto(`${baseURL}?workers=${workers}&steps=10&autostart=1`);
      await p.waitForFunction(() => ['paused', 'error'].includes(document.body.dataset.state) && document.body.dataset.savedStep === '30', null, {timeout: 90_000})
        .catch(async e => { throw new Error(`${e.message}: ${await p.textContent('#error-text')}`); });
      assert.equal(await p.evaluate(() => document.body.dataset.restoredStep), '20');
      assert.equal(await p.isVisible('#restored'), true);
      assert.match(await p.textContent('#restored-text'), /Restored to the model saved in this browser at step 20/);
      assert.equal(Number(await p.getAttribute('#step', 'data-value')), 30);
      const after = (await p.evaluate(() => window.latentlab.losses())).recon;
      assert.deepEqual(after.x.slice(0, curve.x.length), curve.x, 'the loss curve comes back with the model');
      assert.ok(after.x.at(-1) === 30, `the curve goes on to step 30: ${after.x}`);
      const w = await downloadF32(p, `resumed-${workers}.safetensors`);
      let differ = 0;
      for (const [name, a] of Object.entries(straight.weights)) {
        const b = w[name];
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
      }
      assert.equal(differ, 0, `${workers} worker(s): ${differ} weights differ between 20 + reload + 10 steps and 30 straight`);
      await p.click('#start-fresh');
      await p.waitForFunction(() => document.body.dataset.state === 'ready' && !document.body.dataset.savedStep, null, {timeout: 30_000});
      assert.equal(Number(await p.getAttribute('#step', 'data-value')), 0);
      assert.equal(await p.isVisible('#restored'), false);
      await p.goto(`${baseURL}?workers=${workers}`);
      await p.waitForFunction(() => ['ready', 'paused', 'error'].includes(document.body.dataset.state), null, {timeout: 90_000});
      assert.equal(await p.evaluate(() => document.body.dataset.restoredStep), undefined, 'Start fresh forgot the saved model');
      assert.equal(await p.evaluate(() => document.body.dataset.state), 'ready');
      await p.close();
    }
  });

  await t.test('live views off: trains without snapshots, draws the views on pause', async () => {
    const p = await context.newPage();
    await p.goto(`${baseURL}?preset=default&live=0&steps=20&autostart=1`);
    await p.waitForFunction(() => ['paused', 'error'].includes(document.body.dataset.state) && document.body.dataset.snapshots, null, {timeout: 90_000});
    assert.equal(await p.evaluate(() => document.body.dataset.state), 'paused', await p.textContent('#error-text'));
    assert.equal(await p.isChecked('#live-views'), false);
    assert.equal(Number(await p.getAttribute('#step', 'data-value')), 20);
    assert.equal(await p.evaluate(() => document.body.dataset.snapshots), '1', 'one snapshot, on pause, none while training');
    const s = await canvasStats('recon-canvas', p);
    assert.ok(s.bright > 0 && s.distinct >= 16, `reconstructions after the pause ${JSON.stringify(s)}`);
    await p.close();
  });

  await t.test('a diverging training pauses, says what to do, and reverts to the last saved step', async () => {
    // SGD at a learning rate of 10 makes the default AAE's losses NaN within
    // a few steps: the CLI trains 2 (still finite) and checkpoints them; the
    // page imports the checkpoint (and saves it), then trains on into NaN.
    const ckpt = path.join(tmp, 'diverging.safetensors');
    await promisify(execFile)(CLI, ['train', '--optimizer', 'sgd', '--lr-recon', '10', '--steps', '2', '--checkpoint', ckpt], {cwd: ROOT, timeout: 60_000});
    const p = await context.newPage();
    await p.goto(`${baseURL}?preset=default&steps=300`);
    await p.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, {timeout: 90_000});
    await p.setInputFiles('#import', ckpt);
    await p.waitForFunction(() => document.body.dataset.savedStep === '2', null, {timeout: 30_000});
    assert.equal(Number(await p.getAttribute('#step', 'data-value')), 2, 'the CLI checkpoint imports at its step');
    assert.equal(await p.evaluate(() => document.body.dataset.state), 'paused');
    await p.click('#train');
    await p.waitForFunction(() => document.body.dataset.diverged && document.body.dataset.state === 'paused', null, {timeout: 90_000});
    const diverged = Number(await p.evaluate(() => document.body.dataset.diverged));
    assert.ok(diverged > 2 && diverged < 300, `diverged by step ${diverged}`);
    assert.equal(await p.isVisible('#error'), true);
    assert.match(await p.textContent('#error-text'), /diverged by step .*Lower the learning rates.*at step 2 is saved in this browser/);
    assert.equal(await p.evaluate(() => document.body.dataset.savedStep), '2', 'diverged weights are never saved');
    assert.equal(await p.textContent('#error-revert'), 'Revert to step 2');
    await p.click('#error-revert');
    await p.waitForFunction(() => document.body.dataset.restoredStep === '2' && document.body.dataset.state === 'paused', null, {timeout: 30_000});
    assert.equal(Number(await p.getAttribute('#step', 'data-value')), 2);
    assert.match(await p.textContent('#restored-text'), /Reverted to the model saved in this browser at step 2/);
    await p.close();
  });

  await t.test('?workers=99 stops at the core count, and so does the select', async () => {
    const p = await context.newPage();
    await p.goto(`${baseURL}?preset=default&workers=99`);
    await p.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, {timeout: 90_000});
    const cores = await p.evaluate(() => navigator.hardwareConcurrency);
    const want = Math.max(1, Math.min(cores, 8));
    assert.equal(await p.evaluate(() => window.latentlab.workers()), want, `workers for ?workers=99 on ${cores} cores`);
    assert.equal(await p.locator('#workers option').count(), want, 'the select offers no more workers than cores');
    await p.close();
  });

  await t.test('without SharedArrayBuffer: one worker, and the page says so', async () => {
    const p = await context.newPage();
    await p.goto(`${baseURL}?preset=default&workers=2&noshared=1&steps=20&autostart=1`);
    await p.waitForFunction(() => ['paused', 'error'].includes(document.body.dataset.state), null, {timeout: 90_000});
    assert.equal(await p.evaluate(() => document.body.dataset.state), 'paused', await p.textContent('#error-text'));
    assert.equal(await p.evaluate(() => window.latentlab.workers()), 1);
    assert.equal(await p.textContent('#workers-count'), '(1 worker)');
    assert.equal(await p.isVisible('#workers-note'), true);
    assert.match(await p.textContent('#workers-note'), /one worker.*SharedArrayBuffer/);
    assert.equal(await p.isDisabled('#workers'), true);
    assert.equal(Number(await p.getAttribute('#step', 'data-value')), 20);
    const recon = Number(await p.getAttribute('#recon-loss', 'data-value'));
    assert.ok(recon > 0 && recon < UNTRAINED_NATS, `recon ${recon} after 20 steps`);
    await p.close();
  });
});

test('no page attempted a state transition js/state.js forbids', noForbiddenTransitions);
