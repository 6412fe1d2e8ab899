// End-to-end test of "Load a trained model": the models the site ships
// (assets/models, listed in assets/models/index.json) are listed on page load
// without fetching any of them; a failed fetch and a damaged file each leave
// the current model; a chosen model is fetched with progress, loaded into the
// workers, and every view works on it; the page's Evaluate gives the figure
// the listing (and REPRODUCTION.md) gives.
//
// Needs `make build` (bin/server) and Chromium at /usr/bin/chromium.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {canvasPixels, launchChromium, startServer} from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = path.join(ROOT, 'bin', 'server');
const LISTING = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'models', 'index.json'), 'utf8')).models;

let server, baseURL, context, profile;

before(async () => {
  ({child: server, url: baseURL} = await startServer(SERVER));
  ({context, profile} = await launchChromium(chromium, {viewport: {width: 1280, height: 800}}));
});

after(async () => {
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  if (profile) fs.rmSync(profile, {recursive: true, force: true});
});


/** choose picks entry in the menu and waits until the page has loaded it (state paused, its views drawn). */
async function choose(p, entry) {
  const snaps = Number(await p.evaluate(() => document.body.dataset.snapshots || 0));
  await p.selectOption('#trained-model', entry.file);
  try {
    await p.waitForFunction(([row, n]) => document.body.dataset.trained === row && document.body.dataset.state === 'paused'
      && Number(document.body.dataset.snapshots || 0) > n && !window.latentlab.busy(), [entry.row, snaps], {timeout: 180_000});
  } catch (e) {
    const seen = await p.evaluate(() => ({...document.body.dataset, busy: window.latentlab.busy(),
      note: document.getElementById('trained-note').textContent, error: document.getElementById('error').hidden ? '' : document.getElementById('error-text').textContent}));
    throw new Error(`${entry.row} did not load: ${JSON.stringify(seen)} (${e.message})`);
  }
}

test('trained models: listed without a fetch, refused whole when broken, loaded with every view working', async () => {
  const p = context.pages()[0] || await context.newPage();
  p.on('pageerror', e => console.error('page error:', e.message));
  const fetched = [];
  p.on('request', r => { if (/\/assets\/models\/.+\.safetensors$/.test(r.url())) fetched.push(r.url()); });
  await p.goto(`${baseURL}?preset=default`);
  await p.waitForFunction(() => document.body.dataset.state === 'ready' && document.getElementById('trained-model').dataset.count, null, {timeout: 90_000});
  await p.waitForTimeout(500);
  assert.deepEqual(fetched, [], 'no model file is fetched on page load');
  const options = await p.$$eval('#trained-model option', os => os.map(o => [o.value, o.textContent]));
  for (const m of LISTING) {
    const o = options.find(([v]) => v === m.file);
    assert.ok(o, `the menu lists ${m.file}: ${JSON.stringify(options)}`);
    assert.ok(o[1].includes(m.row) && o[1].includes(m.figure) && / MB\)$/.test(o[1]), `entry ${o[1]}`);
  }

  const entry = LISTING.find(m => m.metric === 'test_error') || LISTING[0];
  const url = `${baseURL}/assets/models/${entry.file}`.replace(/([^:])\/\//, '$1/');
  const config = async () => JSON.stringify((await p.evaluate(() => window.latentlab.model())).config);
  const before = await config();
  // A failed fetch: an error naming it, and the model stays.
  await p.route(url, r => r.abort('connectionreset'));
  await p.selectOption('#trained-model', entry.file);
  await p.waitForFunction(() => !document.getElementById('error').hidden, null, {timeout: 30_000});
  assert.match(await p.textContent('#error-text'), new RegExp(`${entry.row} could not be fetched: network error.*current model is unchanged`));
  assert.equal(await config(), before, 'a failed fetch keeps the current model');
  await p.click('#error-dismiss');
  await p.unroute(url);
  // A damaged file (one byte changed in its tensors): refused, the model stays.
  const bytes = fs.readFileSync(path.join(ROOT, 'assets', 'models', entry.file));
  bytes[bytes.length - 1000] ^= 0x40;
  await p.route(url, r => r.fulfill({status: 200, contentType: 'application/octet-stream', body: bytes}));
  await p.selectOption('#trained-model', entry.file);
  await p.waitForFunction(() => !document.getElementById('error').hidden, null, {timeout: 60_000});
  assert.match(await p.textContent('#error-text'), /damaged: its SHA-256 is not the one listed.*current model is unchanged/);
  assert.equal(await config(), before, 'a damaged file keeps the current model');
  await p.click('#error-dismiss');
  await p.unroute(url);

  for (const m of LISTING) {
    await choose(p, m);
    assert.equal(await p.getAttribute('#trained-progress', 'data-value'), '1', `${m.row}: the progress reached the end`);
    const cfg = (await p.evaluate(() => window.latentlab.model())).config;
    const caps = (await p.evaluate(() => window.latentlab.model())).caps;
    assert.ok(await p.isHidden('#error'), `${m.row}: ${await p.textContent('#error-text')}`);
    assert.match(await p.textContent('#trained-note'), new RegExp(`Loaded ${m.row}`));
    // The views: reconstructions, samples, the latent plot, the style × class grid and the classes.
    const recon = await canvasPixels(p, 'recon-canvas');
    assert.ok(recon.bright > 0.02 * recon.opaque && recon.distinct >= 16, `${m.row}: reconstructions ${JSON.stringify(recon)}`);
    const samples = await canvasPixels(p, 'samples-canvas');
    assert.ok(samples.bright > 0 && samples.distinct >= 8, `${m.row}: samples ${JSON.stringify(samples)}`);
    const latent = await canvasPixels(p, 'latent-canvas');
    assert.ok(latent.colored >= 50, `${m.row}: latent plot ${JSON.stringify(latent)}`);
    if (caps.labelGenerator) {
      const g = await canvasPixels(p, 'labels-canvas');
      assert.ok(g.opaque > 0 && g.distinct >= 8, `${m.row}: style × class grid ${JSON.stringify(g)}`);
    }
    if (caps.classifier) {
      const c = await canvasPixels(p, 'clusters-canvas');
      assert.ok(c.bright > 0, `${m.row}: classes ${JSON.stringify(c)}`);
    }
    // Exploring the latent space: hovering the plot decodes the code under the pointer.
    const box = await p.locator('#latent-canvas').boundingBox();
    const decodes = await p.evaluate(() => Number(document.getElementById('decode-canvas').dataset.decodes || 0));
    await p.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.55);
    await p.waitForFunction(n => Number(document.getElementById('decode-canvas').dataset.decodes || 0) > n, decodes, {timeout: 10_000});
    const d = await canvasPixels(p, 'decode-canvas');
    assert.ok(d.bright > 0, `${m.row}: the hovered code decodes to a digit ${JSON.stringify(d)}`);
    await p.mouse.move(0, 0);
    // Evaluate: the page's figure on the 10,000 test digits is the listed one.
    if (m.metric === 'test_error' || m.metric === 'cluster_error') {
      await p.evaluate(() => { delete document.getElementById('metrics').dataset.step; });
      await p.click('#evaluate');
      await p.waitForFunction(() => document.getElementById('metrics').dataset.step !== undefined && !window.latentlab.busy()
        && document.body.dataset.state === 'paused', null, {timeout: 180_000});
      const got = Number(await p.getAttribute(`#metrics dd[data-key="${m.metric}"]`, 'data-value'));
      assert.ok(Math.abs(got - m.value) <= 1.5e-4, `${m.row}: the page's ${m.metric} ${got}, listed ${m.value}`);
      console.log(`${m.row} (${cfg.model}): ${m.metric} ${got} in the page, ${m.value} listed`);
    }
    await p.screenshot({path: path.join(ROOT, 'e2e', 'out', `trained-${m.row}.png`)}).catch(() => {});
  }
});
