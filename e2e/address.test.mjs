// The address carries the set-up: a link rebuilds it in a fresh profile, a
// reload restores the trained model.
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

test('the address carries the set-up: a link rebuilds it in a fresh profile, a reload restores the trained model', async () => {
  const {context: a, profile: pa} = await launchChromium(chromium, {viewport: {width: 1280, height: 800}});
  profiles.push(pa);
  try {
    const p = a.pages()[0] || await a.newPage();
    await p.goto(`${baseURL}?preset=default`);
    await p.waitForFunction(() => document.body.dataset.state === 'ready', null, {timeout: 90_000});
    // Choosing a preset builds it (nothing trained yet: no question asked).
    await p.selectOption('#preset', 'vae');
    await p.waitForFunction(() => document.body.dataset.state === 'ready' && window.latentlab.model().config.model === 'vae', null, {timeout: 60_000});
    await p.fill('#cfg-latent', '3');
    await p.click('#reset');
    await p.waitForFunction(() => document.body.dataset.state === 'ready' && window.latentlab.model().config.model === 'vae', null, {timeout: 60_000});
    const url = new URL(p.url());
    assert.equal(url.searchParams.get('preset'), 'vae', `address ${p.url()}`);
    assert.equal(url.searchParams.get('latent'), '3', `address ${p.url()}`);
    // Trained and paused, then reloaded: the saved model comes back.
    await p.click('#train');
    await p.waitForFunction(() => Number(document.getElementById('step').dataset.value) >= 3, null, {timeout: 60_000});
    await p.click('#train');
    await p.waitForFunction(() => document.body.dataset.state === 'paused' && document.body.dataset.savedStep === document.getElementById('step').dataset.value, null, {timeout: 60_000});
    const step = await p.evaluate(() => document.body.dataset.savedStep);
    await p.reload();
    await p.waitForFunction(() => document.body.dataset.restoredStep, null, {timeout: 90_000});
    assert.equal(await p.evaluate(() => document.body.dataset.restoredStep), step, 'a reload restores the trained model');
    // A trained model is replaced by a chosen preset only when the visitor agrees.
    let asked = null;
    p.once('dialog', d => { asked = d.message(); d.dismiss(); });
    await p.selectOption('#preset', 'ae');
    await p.waitForTimeout(500);
    assert.match(asked || '', /Build the preset "ae"\? The model trained for \d+ steps is replaced/, 'the page asks before replacing a trained model');
    assert.equal((await p.evaluate(() => window.latentlab.model())).config.model, 'vae', 'declined: the model stays');
    assert.equal(await p.inputValue('#cfg-model'), 'vae', 'declined: the form goes back to the model');

    const {context: b, profile: pb} = await launchChromium(chromium, {viewport: {width: 1280, height: 800}});
    profiles.push(pb);
    try {
      const q = b.pages()[0] || await b.newPage();
      await q.goto(url.href);
      await q.waitForFunction(() => document.body.dataset.state === 'ready', null, {timeout: 90_000});
      const c = (await q.evaluate(() => window.latentlab.model())).config;
      assert.equal(c.model, 'vae');
      assert.equal(c.latent, 3);
      assert.equal(await q.inputValue('#cfg-latent'), '3');
      assert.equal(await q.isVisible('#error'), false, await q.textContent('#error-text'));
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
});

test('no page attempted a state transition js/state.js forbids', noForbiddenTransitions);
