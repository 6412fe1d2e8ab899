// The latent space answers: hovering decodes, a drawn digit is encoded and
// marked, interpolation, the grid.
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

test('the latent space answers: hovering decodes, a drawn digit is encoded and marked, interpolation, the grid', async () => {
  const p = await context.newPage();
  p.on('pageerror', e => console.error('page error:', e.message));
  try {
    for (const preset of ['default', 'semisupervised']) {
      await p.goto(`${baseURL}?preset=${preset}&autostart=1&steps=30`);
      await p.waitForFunction(() => ['paused', 'error'].includes(document.body.dataset.state), null, {timeout: 120_000});
      assert.equal(await p.evaluate(() => document.body.dataset.state), 'paused', await p.textContent('#error-text'));
      await snapshotAfter(p, 0);
      const {caps, config} = await p.evaluate(() => window.latentlab.model());
      assert.equal(await p.isVisible('#decode-canvas'), true, `${preset}: a decoder shows its hover decode`);
      assert.equal(await p.isVisible('#draw-canvas'), true, `${preset}: a drawing pad`);

      // Hovering two points decodes two different digits.
      const box = await p.locator('#latent-canvas').boundingBox();
      const decodes = () => p.evaluate(() => Number(document.getElementById('decode-canvas').dataset.decodes || 0));
      const hover = async (fx, fy) => {
        const n = await decodes();
        await p.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
        await p.waitForFunction(n => Number(document.getElementById('decode-canvas').dataset.decodes || 0) > n, n, {timeout: 10_000});
        return canvasDigest(p, 'decode-canvas');
      };
      const a = await hover(0.2, 0.25), b = await hover(0.8, 0.75);
      assert.notEqual(a, b, `${preset}: two points of the plot decode to the same digit`);
      const s = await canvasStats('decode-canvas', p);
      assert.ok(s.bright > 0, `${preset}: the hover decode is blank ${JSON.stringify(s)}`);

      // A stroke on the pad: the reconstruction changes and the marker moves on the plot.
      await p.mouse.move(0, 0);
      const recon0 = await canvasDigest(p, 'draw-recon'), plot0 = await canvasDigest(p, 'latent-canvas');
      const pad = await p.locator('#draw-canvas').boundingBox();
      const encodes = () => p.evaluate(() => Number(document.getElementById('draw-recon').dataset.encodes || 0));
      const stroke = async points => {
        const n = await encodes();
        await p.mouse.move(pad.x + pad.width * points[0][0], pad.y + pad.height * points[0][1]);
        await p.mouse.down();
        for (const [fx, fy] of points.slice(1)) await p.mouse.move(pad.x + pad.width * fx, pad.y + pad.height * fy, {steps: 6});
        await p.mouse.up();
        await p.waitForFunction(n => Number(document.getElementById('draw-recon').dataset.encodes || 0) > n, n, {timeout: 10_000});
        await p.waitForTimeout(300); // the last stroke's encode
      };
      await stroke([[0.5, 0.15], [0.5, 0.85]]);  // a 1
      const recon1 = await canvasDigest(p, 'draw-recon'), plot1 = await canvasDigest(p, 'latent-canvas');
      assert.notEqual(recon1, recon0, `${preset}: drawing did not change the reconstruction`);
      assert.notEqual(plot1, plot0, `${preset}: drawing did not mark the plot`);
      await p.click('#draw-clear');
      await stroke([[0.3, 0.2], [0.7, 0.2], [0.7, 0.5], [0.3, 0.8], [0.75, 0.8]]); // a 2
      assert.notEqual(await canvasDigest(p, 'draw-recon'), recon1, `${preset}: another digit, the same reconstruction`);
      assert.notEqual(await canvasDigest(p, 'latent-canvas'), plot1, `${preset}: another digit, the marker did not move`);
      if (caps.classifier) {
        const bars = await p.$$eval('#draw-probs li', ls => ls.length);
        assert.equal(bars, caps.classes, `${preset}: ${bars} probability bars for ${caps.classes} classes`);
        if (config.labels > 0) assert.match(await p.textContent('#draw-caption'), /the model reads a \d \(\d+ %\)/);
      }

      // Interpolation: ten frames between two test digits (not for a decoder that takes a class).
      if (!caps.reconstructor) {
        await p.click('#interp-random');
        await p.waitForFunction(() => document.getElementById('interp-canvas').dataset.frames === '10', null, {timeout: 10_000});
        const st = await canvasStats('interp-canvas', p);
        assert.ok(st.bright > 0 && st.pixels >= 10 * 28 * 28, `${preset}: interpolation ${JSON.stringify(st)}`);
      } else {
        assert.equal(await p.isVisible('#interp-box'), false, `${preset}: no interpolation for a decoder that takes a class`);
      }

      // The grid of decodes lays the decoder's manifold under the points.
      const plain = await canvasDigest(p, 'latent-canvas');
      await p.click('#traverse-toggle');
      await p.waitForFunction(() => document.getElementById('traverse-toggle').getAttribute('aria-pressed') === 'true');
      for (let i = 0; i < 40 && (await canvasDigest(p, 'latent-canvas')) === plain; i++) await p.waitForTimeout(100);
      const gridded = await canvasStats('latent-canvas', p);
      assert.notEqual(await canvasDigest(p, 'latent-canvas'), plain, `${preset}: the grid did not draw`);
      await p.click('#traverse-toggle');
      assert.equal(await p.isVisible('#error'), false, await p.textContent('#error-text'));
      // Step-through: the AAE's phases one after another, each redrawn with its loss.
      if (preset === 'default') {
        assert.deepEqual(caps.phases, ['recon', 'disc', 'gen']);
        const step0 = await readout('step', p), codes0 = await canvasDigest(p, 'latent-canvas');
        await p.click('#phase-walk');
        await p.waitForFunction(() => document.getElementById('phase-caption').dataset.walked === '3', null, {timeout: 30_000});
        const said = await p.textContent('#phase-caption');
        assert.match(said, /^recon: Recon \d+\.\d+ → disc: Disc \d\.\d+ → gen: Gen \d\.\d+$/, `phase caption "${said}"`);
        assert.equal(await readout('step', p), step0 + 3, 'three phases, three steps');
        assert.notEqual(await canvasDigest(p, 'latent-canvas'), codes0, 'the codes moved');
        // Slow motion: a step a round, every one drawn.
        await p.check('#slow-motion');
        const snaps0 = Number(await p.evaluate(() => document.body.dataset.snapshots));
        const step1 = await readout('step', p);
        await p.click('#train');
        await p.waitForFunction(s => Number(document.getElementById('step').dataset.value) >= s + 4, step1, {timeout: 30_000});
        await p.click('#train');
        await p.waitForFunction(() => document.body.dataset.state === 'paused', null, {timeout: 30_000});
        const steps = await readout('step', p) - step1;
        const drawn = Number(await p.evaluate(() => document.body.dataset.snapshots)) - snaps0;
        assert.ok(drawn >= steps, `slow motion: ${steps} steps, ${drawn} snapshots`);
        await p.uncheck('#slow-motion');
        // Live hyperparameters: a new learning rate applies from the next step, the model kept.
        const stepBefore = await readout('step', p);
        await p.fill('#cfg-lr_recon', '0.0005');
        await p.dispatchEvent('#config', 'input');
        assert.equal(await p.isVisible('#apply-live'), true, 'a learning rate alone can be applied live');
        await p.click('#apply-live');
        await p.waitForFunction(() => /lr_recon changed at step/.test(document.getElementById('config-note').textContent), null, {timeout: 30_000});
        const after = await p.evaluate(() => window.latentlab.model());
        assert.equal(after.config.lr_recon, 0.0005);
        assert.equal(await readout('step', p), stepBefore, 'the model trains on from where it was');
        assert.equal(await p.isVisible('#apply-live'), false);
        await p.fill('#cfg-latent', '3');
        await p.dispatchEvent('#config', 'input');
        assert.equal(await p.isVisible('#apply-live'), false, 'a new latent size needs Reset');
        await p.fill('#cfg-latent', '2');
        await p.dispatchEvent('#config', 'input');
      }
      console.log(`${preset}: hover, draw, ${caps.reconstructor ? 'no interpolation' : 'interpolation'}, grid (${gridded.bright} bright pixels)`);
      await p.screenshot({path: path.join(SHOTS, `explore-${preset}.png`)});
    }
  } finally {
    await p.close();
  }
});

test('no page attempted a state transition js/state.js forbids', noForbiddenTransitions);
