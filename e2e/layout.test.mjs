// The layout: one column on a phone, and on a laptop the main controls in
// view.
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

test('layout: one column on a phone with no section under 300 px; on a laptop, Train, Download and Import in view', async () => {
  const p = await context.newPage();
  try {
    for (const [width, height] of [[390, 844], [1280, 800]]) {
      await p.setViewportSize({width, height});
      await p.goto(`${baseURL}?preset=default`);
      await p.waitForFunction(() => document.body.dataset.state === 'ready', null, {timeout: 90_000});
      await snapshotAfter(p, 0);
      fs.mkdirSync(SHOTS, {recursive: true});
      await p.screenshot({path: path.join(SHOTS, `layout-${width}x${height}.png`)});
      const r = await p.evaluate(() => {
        const shown = [...document.querySelectorAll('section.card, aside, header')].filter(e => e.offsetParent !== null);
        const box = sel => document.querySelector(sel).getBoundingClientRect();
        return {
          scroll: document.documentElement.scrollWidth,
          narrow: shown.map(e => [e.id || e.className, Math.round(e.getBoundingClientRect().width)]).filter(([, w]) => w < 300),
          controls: ['#train', '#download', 'label.file'].map(sel => { const b = box(sel); return [sel, Math.round(b.right), Math.round(b.bottom)]; }),
        };
      });
      assert.ok(r.scroll <= width, `${width} px: the page scrolls sideways to ${r.scroll}`);
      assert.deepEqual(r.narrow, [], `${width} px: sections narrower than 300 px`);
      if (width === 1280) {
        for (const [sel, right, bottom] of r.controls) assert.ok(right <= width && bottom <= height, `${sel} ends at (${right}, ${bottom}), outside ${width}×${height}`);
      }
    }
  } finally {
    await p.close();
  }
});

test('no page attempted a state transition js/state.js forbids', noForbiddenTransitions);
