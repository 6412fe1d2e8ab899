// What a model draws apart from the snapshots: digits sampled pixel by
// pixel (a model.Sampler, shown as each row comes), and the sample score of
// the shipped classifier (confidence, class entropy, Fréchet distance),
// whose file worker 0 loads the first time only. Both need the model to
// themselves (exclusive).
import * as ui from './ui.js';

const $ = id => document.getElementById(id);
const SAMPLE_DIGITS = 64;
const SAMPLE_CHUNK = 28; // pixels per call: one row of the 28×28 digits
const CLASSIFIER_URL = new URL('../assets/classifier.safetensors', import.meta.url);

/**
 * createSamples wires them on page (js/app.js's page: the model, the
 * workers, whose epoch says whether worker 0 still holds the classifier,
 * exclusive(what, fn), the views and the step).
 */
export function createSamples(page) {
  const ctx = page;
  let stale = false;      // a sampler's samples are older than its model: drawn when the work under way ends
  let scorerEpoch = -1;   // the workers' epoch in which worker 0 loaded the classifier


  /** drawsPixelByPixel says whether the model's samples are drawn apart from snapshots (a model.Sampler). */
  function drawsPixelByPixel() {
    const {model} = ctx;
    const m = model();
    return Boolean(m && m.caps.sampler && !m.caps.generator);
  }

  /** drawSamples draws SAMPLE_DIGITS digits pixel by pixel (model.Sampler), showing each chunk as it comes. */
  async function drawSamples() {
    try {
      await ctx.exclusive('sample', async () => {
        stale = false;
        $('samples-caption').textContent = 'drawing pixel by pixel…';
        const t0 = performance.now();
        const r = await ctx.request(0, 'sample', {n: SAMPLE_DIGITS, chunk: SAMPLE_CHUNK});
        if (r.cancelled) { // the model was replaced meanwhile: draw its samples next
          stale = true;
          return;
        }
        ui.drawDigits($('samples-canvas'), r.pixels, r.n, 8, {gap: 1});
        $('samples-canvas').dataset.done = '784';
        $('samples-canvas').dataset.step = String(ctx.stepNow());
        $('samples-caption').textContent = `${r.n} digits drawn pixel by pixel at step ${ui.fmtInt(ctx.stepNow())} (${((performance.now() - t0) / 1000).toFixed(1)} s) · the same random draws each time`;
      });
    } catch (e) {
      if (!e.fatal) ui.showError(`Sampling failed: ${e.message}`);
    }
  }

  /** onSampleProgress draws a sample in progress. */
  function onSampleProgress(m) {
    ui.drawDigits($('samples-canvas'), m.pixels, m.n, 8, {gap: 1});
    $('samples-canvas').dataset.done = String(m.done);
    $('samples-caption').textContent = `drawing pixel by pixel… row ${Math.floor(m.done / 28)} of 28`;
  }


  /**
   * onScore scores the model's samples with the shipped classifier: mean
   * confidence, entropy of the classes drawn, Fréchet distance of features to
   * the test digits'. The classifier file is downloaded, and handed to worker 0,
   * the first time only.
   */
  async function onScore() {
    const text = $('score-text');
    text.hidden = false;
    try {
      await ctx.exclusive('score', async step => {
        if (scorerEpoch !== ctx.pool.epoch) {
          text.textContent = 'loading the classifier…';
          const res = await fetch(CLASSIFIER_URL);
          if (!res.ok) throw new Error(`${CLASSIFIER_URL.pathname}: HTTP ${res.status}`);
          const bytes = await res.arrayBuffer();
          text.textContent = 'fitting the classifier\'s features of the test digits (once)…';
          await ctx.request(0, 'setScorer', {bytes}, [bytes]);
          scorerEpoch = ctx.pool.epoch;
        }
        text.textContent = 'scoring samples…';
        const r = await ctx.request(0, 'score');
        ctx.views.showScore(r, step);
      });
    } catch (e) {
      text.textContent = 'not scored';
      if (!e.fatal) ui.showError(`Scoring failed: ${e.message}`);
    }
  }


  return {
    drawsPixelByPixel, drawSamples, onSampleProgress, onScore,
    /** markStale says the samples are older than the model (drawn next, see due). */
    markStale: () => { stale = true; },
    /** due says whether stale samples wait to be drawn. */
    due: () => stale,
  };
}
