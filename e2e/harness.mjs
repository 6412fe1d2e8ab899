// What the browser test and the benchmarks share: the real server binary on
// a free port, and Debian Chromium launched with this workplace's flags in a
// fresh profile. It imports only Node's own modules, so bench/ can use it
// too; callers pass their own playwright-core `chromium`.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** CHROMIUM is the browser binary: Debian's, or $CHROMIUM. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * CHROMIUM_ARGS are the flags every run uses; the profile comes from
 * launchChromium. $CHROMIUM_FLAGS adds more, space-separated (to try V8's
 * flags in a benchmark: CHROMIUM_FLAGS=--js-flags=--wasm-enforce-bounds-checks).
 */
export const CHROMIUM_ARGS = [...(process.env.CHROMIUM_FLAGS || '').split(' ').filter(Boolean), '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * launchChromium starts Chromium in a fresh profile (a new temporary
 * --user-data-dir, which Playwright takes as launchPersistentContext's first
 * argument) and resolves with {context, version, profile}. options are
 * passed on (acceptDownloads, viewport ...).
 */
export async function launchChromium(chromium, options = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM=/path)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, ...options});
  } catch (e) {
    throw new Error(`cannot start Chromium at ${CHROMIUM}: ${e.message.split('\n')[0]}`);
  }
  let version = context.browser()?.version();
  if (!version) {
    const p = context.pages()[0] || await context.newPage();
    version = (await p.evaluate(() => navigator.userAgent)).match(/Chrome\/([\d.]+)/)?.[1] ?? 'unknown';
  }
  return {context, version, profile};
}

/**
 * startServer runs the server binary on a free port with extra arguments and
 * resolves with {child, url}, the URL read from its "serving on" line.
 */
export function startServer(binary, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-addr', '127.0.0.1:0', '-log', ...extraArgs], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`${binary} did not report its address in 15 s; stderr: ${err}`)); }, 15_000);
    child.on('error', e => { clearTimeout(timer); reject(new Error(`cannot start ${binary}: ${e.message} (run make build)`)); });
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`${binary} exited with ${code}; stderr: ${err.slice(-500)}`)); });
    child.stderr.on('data', d => { err = (err + d).slice(-4000); }); // the request log; its tail explains failures
    child.stdout.on('data', d => {
      out += d;
      const m = out.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({child, url: m[1] + '/'});
      }
    });
  });
}

/** canvasPixels counts, on canvas #id of page p, opaque pixels, bright pixels (grey > 128), strongly coloured pixels and distinct colours. */
export function canvasPixels(p, id) {
  return p.evaluate(id => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let opaque = 0, bright = 0, colored = 0;
    const colors = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      opaque++;
      const mx = Math.max(d[i], d[i + 1], d[i + 2]), mn = Math.min(d[i], d[i + 1], d[i + 2]);
      if (mn > 128) bright++;
      if (mx - mn > 80) colored++;
      colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    return {pixels: d.length / 4, opaque, bright, colored, distinct: colors.size};
  }, id);
}
