// End-to-end test of "Outgrowing the tab" (docs/pytorch.md): the page trains a model,
// its download is continued by the PyTorch twin in two processes
// (DistributedDataParallel over gloo, started as torchrun would start them),
// and the page imports the result: the step count goes on, and the test loss
// is lower than the tab's.
//
// Needs `make build` (bin/server, bin/latentlab), Chromium, and Debian's
// python3-torch at /usr/bin/python3 (make torch); TORCH_PY overrides it.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {launchChromium, startServer} from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = path.join(ROOT, 'bin', 'server');
const CLI = path.join(ROOT, 'bin', 'latentlab');
const TORCH_PY = process.env.TORCH_PY || '/usr/bin/python3';
const run = promisify(execFile);

let server, baseURL, context, profile, tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-twin-'));
  ({child: server, url: baseURL} = await startServer(SERVER));
  ({context, profile} = await launchChromium(chromium, {acceptDownloads: true, viewport: {width: 1280, height: 800}}));
});

after(async () => {
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  for (const d of [tmp, profile]) if (d) fs.rmSync(d, {recursive: true, force: true});
});

/** shows waits until page p is in state with its step and test figure at step. */
function shows(p, state, step) {
  return p.waitForFunction(([state, step]) => document.body.dataset.state === state
    && document.getElementById('step').dataset.value === step && document.getElementById('test-recon').dataset.step === step
    && !window.latentlab.busy(), [state, String(step)], {timeout: 120_000});
}

const figure = async (p, id) => Number(await p.getAttribute(`#${id}`, 'data-value'));

test('a model continued in PyTorch on two processes comes back to the page', async () => {
  const p = context.pages()[0] || await context.newPage();
  p.on('pageerror', e => console.error('page error:', e.message));
  const tabSteps = 60, torchSteps = 120;
  await p.goto(`${baseURL}?autostart=1&steps=${tabSteps}`);
  await shows(p, 'paused', tabSteps);
  const tabRecon = await figure(p, 'test-recon');
  await p.selectOption('#dtype', 'F32');
  const [download] = await Promise.all([p.waitForEvent('download'), p.click('#download')]);
  const fromTab = path.join(tmp, 'tab.safetensors'), fromTorch = path.join(tmp, 'torch.safetensors');
  await download.saveAs(fromTab);

  const {stdout} = await run(TORCH_PY, ['-m', 'latentlab_torch.train', '--nproc', '2', '--init', fromTab,
    '--steps', String(torchSteps), '--log-every', String(torchSteps), '--data', path.join(ROOT, 'assets', 'mnist'),
    '--out', fromTorch], {cwd: path.join(ROOT, 'pytorch'), timeout: 300_000});
  const last = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.equal(last.step, tabSteps + torchSteps, 'the JSON line counts the tab\'s steps too');

  // The native CLI reads it, and finds it better than the tab's ...
  const evaluate = async file => JSON.parse((await run(CLI, ['eval', '--weights', file, '--samples', '0',
    '--data', path.join(ROOT, 'assets', 'mnist')])).stdout).test_recon;
  const [cliTab, cliTorch] = [await evaluate(fromTab), await evaluate(fromTorch)];
  assert.ok(cliTorch < cliTab, `latentlab eval: test_recon ${cliTorch} after PyTorch, ${cliTab} from the tab`);
  // ... and so does the page, which carries on from its step.
  await p.setInputFiles('#import', fromTorch);
  await shows(p, 'paused', tabSteps + torchSteps);
  assert.equal(await p.isVisible('#error'), false, await p.textContent('#error-text'));
  const back = await figure(p, 'test-recon');
  assert.ok(back < tabRecon, `after ${torchSteps} steps in PyTorch the test loss is ${back}, the tab left it at ${tabRecon}`);
  console.log(`tab ${tabSteps} steps: page ${tabRecon.toFixed(2)}, CLI ${cliTab.toFixed(2)}; `
    + `+${torchSteps} in PyTorch (2 processes): page ${back.toFixed(2)}, CLI ${cliTorch.toFixed(2)}`);
});
