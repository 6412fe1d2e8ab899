// The views: which cards a model shows, and the presenters that draw a
// snapshot, the loss curves, an evaluation's measures and a sample score.
// Every loss and measure is named from the Go core's table (figures.All,
// in the workers' start reply): a label, a unit, how to show it and what
// good looks like. The latent plot is js/latent.js's.
import * as ui from './ui.js';
import {latentRange, fmtTick} from './latent.js';

const $ = id => document.getElementById(id);
const LOSS_COLORS = ['#4f46e5', '#d97706', '#059669', '#db2777', '#0891b2', '#65a30d', '#7c3aed', '#b91c1c'];
let figures = {};  // key → model.Figure

/** setFigures takes the Go core's table of figures (figures.All). */
export function setFigures(list) {
  figures = Object.fromEntries((list || []).map(f => [f.key, f]));
}

/** figure returns what the Go core says of the loss or measure key, or a stand-in named by it. */
export function figure(key) {
  return figures[key] || {key, label: key, good: ''};
}

/** fmtNum shows a loss or measure with 2 decimals, or 4 when small. */
export function fmtNum(v) {
  return Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(4);
}

/** showPosition shows where training is: r's step, epoch and the fraction of the epoch done. */
export function showPosition(r) {
  ui.setValue('step', ui.fmtInt(r.step), r.step);
  ui.setValue('epoch', String(r.epoch), r.epoch);
  $('epoch-pct').textContent = `${Math.floor(r.epochProgress * 100)} %`;
  ui.setBar('epoch-progress', r.epochProgress);
}

/** lossLabel names a loss for the stats strip. */
function lossLabel(key) {
  const f = figures[key];
  return key === undefined ? 'Loss' : f ? f.short || f.label.replace(/ \(.*\)$/, '') : key;
}

/** fmtMetric formats a measure as its figure says. */
function fmtMetric(key, v) {
  if (v === null || v === undefined) return '–';
  const m = figures[key] || {};
  if (m.percent) return `${(100 * v).toFixed(2)} %`;
  return `${v.toFixed(m.digits || 4)}${m.unit ? ' ' + m.unit : ''}`;
}

/**
 * createViews wires the presenters. current() returns the page's
 * {model, snap, kinds, features, loss}; latent is js/latent.js's plot.
 */
export function createViews({current, latent}) {
  /**
   * layoutViews shows the cards the current model's capabilities allow, hides
   * the others, and sizes the grid to the number shown; it sets the stat labels
   * and the controls that depend on the model.
   */
  function layoutViews() {
    const {model, kinds, features} = current();
    const c = model.caps;
    const lat = model.config.latent;
    const show = {
      'card-recon': c.autoencoder || c.reconstructor,
      'card-latent': c.encoder,
      'card-rawpca': c.encoder && lat === 2,
      'card-samples': c.generator || c.sampler,
      'card-labels': c.labelGenerator,
      'card-clusters': c.classifier,
      ...latent.cards(c),
      'card-losses': true,
    };
    let shown = 0;
    for (const [id, on] of Object.entries(show)) {
      $(id).hidden = !on;
      if (on) shown++;
    }
    const cols = shown <= 2 ? shown : Math.ceil(shown / 2);
    const views = $('views');
    views.style.setProperty('--cols', String(cols));
    views.style.setProperty('--rows', shown <= 2 ? '1' : '2');
    views.dataset.cards = String(shown);
    // The losses fill what the last row leaves empty.
    const empty = shown <= 2 ? 0 : 2 * cols - shown;
    $('card-losses').style.gridColumn = empty ? `span ${empty + 1}` : '';
    $('latent-view').hidden = !(c.encoder && lat > 2);
    latent.layout(c, model.config);
    $('draw-samples').hidden = !c.sampler || c.generator;
    $('samples-caption').textContent = c.generator
      ? '64 fixed draws from the prior, decoded'
      : c.sampler ? 'drawn pixel by pixel (the same random draws each time): press Draw, or pause' : '';
    $('labels-caption').textContent = c.encoder ? 'one style decoded with each label · click or drag on the latent plot to pick it' : 'one code decoded with each label';
    const k = c.classes;
    $('clusters-caption').textContent = model.config.labels > 0
      ? `most probable test digits of each of the ${k} classes`
      : `most probable test digits of each of the ${k} clusters · → the label most members have`;
    // Stats strip: the first loss; a figure over 1000 test digits.
    $('train-loss-label').textContent = `${lossLabel(c.lossNames[0])} · training batches`;
    $('test-recon-label').textContent = `${testFigure(c).label} · 1000 test digits`;
    // A model with no such figure (a GAN) shows no empty box for it.
    $('test-recon-stat').hidden = testFigure(c).key === null;
    $('test-loss-label').textContent = `${testFigure(c).label} · all 10,000 test digits`;
    $('kind-doc').textContent = kinds[model.config.model] ? kinds[model.config.model].doc : '';
    $('score').hidden = !features.score || !(c.generator || c.sampler);
  }

  /**
   * testFigure says which snapshot figure over 1000 test digits the stats
   * strip shows; its label also names the evaluation's headline figure.
   */
  function testFigure(c) {
    if (c.autoencoder) return {key: 'testRecon', label: 'Recon'};
    if (c.density) return {key: 'testNLL', label: 'NLL'};
    if (c.classifier) return {key: 'testError', alt: 'clusterError', label: 'Error', percent: true};
    return {key: null, label: 'Test'};
  }

  /** headlineMetric picks the metric the stats strip shows after an evaluation. */
  function headlineMetric(m) {
    for (const key of ['test_recon', 'test_nll', 'test_error', 'cluster_error']) if (key in m) return key;
    return Object.keys(m).sort()[0];
  }


  /**
   * drawSnapshot draws snapshot s, one view per task so that no task runs long,
   * and resolves when all are drawn; then #test-recon's data-step and the
   * body's data-snapshots count say so.
   */
  async function drawSnapshot(s) {
    const c = s.caps;
    const views = [
      () => s.recons && ui.drawDigits($('recon-canvas'), ui.interleaveRows(s.inputs, s.recons, 16, 8), 32, 8, {gap: 1, groupRows: 2, groupGap: 5}),
      () => s.samples && ui.drawDigits($('samples-canvas'), s.samples, 64, 8, {gap: 1}),
      () => s.labelGrid && drawLabelGrid(s.labelGrid, s.pick),
      () => s.clusters && drawClusters(s.clusters),
      () => latent.draw(),
      drawRawPCA,
    ];
    for (const draw of views) {
      if (current().snap !== s) return; // a newer snapshot took over
      draw();
      await new Promise(resolve => setTimeout(resolve, 0));
    }
    const f = testFigure(c);
    let v = f.key ? s[f.key] : undefined;
    if ((v === undefined || v === null) && f.alt) v = s[f.alt];
    if (v !== undefined && v !== null) ui.setValue('test-recon', f.percent ? `${(100 * v).toFixed(1)} %` : v.toFixed(2), v);
    $('test-recon').dataset.step = String(s.step);
    latent.refresh();
    document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
  }

  /** drawRawPCA plots the same test digits' pixels on their first two principal axes (beside 2-D codes). */
  function drawRawPCA() {
    const {snap} = current();
    if (!snap || $('card-rawpca').hidden) return;
    if (!snap.rawPCA) {
      ui.drawMessage($('rawpca-canvas'), snap.rawPCAError ? `No PCA: ${snap.rawPCAError}` : 'No PCA in this snapshot.');
      return;
    }
    const {range, tick} = latentRange(snap.rawPCA);
    const r = ui.drawScatter($('rawpca-canvas'), {codes: snap.rawPCA, labels: snap.labels, prior: new Float32Array(0), range, tick});
    $('rawpca-caption').textContent = `${ui.fmtInt(snap.labels.length)} test digits: 784 pixels on 2 principal axes · grid ${fmtTick(tick)}`;
    $('rawpca-caption').title = 'A linear projection of the raw digits, for comparison with the codes the model learns'
      + (r.outside ? `; ${r.outside} points outside the view` : '');
  }

  /** drawLabelGrid draws one code decoded with each of the ten labels. */
  function drawLabelGrid(pixels, pick) {
    const {model} = current();
    ui.drawTiles($('labels-canvas'), {pixels, count: 10, cols: 5, captions: Array.from({length: 10}, (_, d) => String(d))});
    if (pick && model.config.latent <= 2) {
      $('labels-caption').textContent = `z = (${[...pick].slice(0, model.config.latent).map(v => v.toFixed(2)).join(', ')}) with each label · click or drag on the latent plot`;
    }
  }

  /** drawClusters draws the most probable test digits of each class, one class a row. */
  function drawClusters(cl) {
    const {model} = current();
    const rows = [];
    for (let j = 0; j < cl.shown; j++) {
      const maj = cl.major[j] >= 0 ? `→${cl.major[j]}` : '';
      rows.push(model.config.labels > 0 ? `${j} (${cl.counts[j]})` : `${j}${maj} (${cl.counts[j]})`);
    }
    ui.drawTiles($('clusters-canvas'), {pixels: cl.pixels, count: cl.shown * cl.per, cols: cl.per, rowCaptions: rows, blocks: 0});
    $('clusters-caption').title = `Each row: a ${model.config.labels > 0 ? 'class' : 'cluster'}, its most probable digits among the first 1000 test digits, and how many of them it takes`
      + (cl.k > cl.shown ? ` (the first ${cl.shown} of ${cl.k})` : '');
  }

  let drawQueued = false;
  /** scheduleDraw redraws the loss curves at the next animation frame. */
  function scheduleDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      const {model, loss} = current();
      const names = model && model.caps ? model.caps.lossNames : Object.keys(loss);
      ui.drawLossCurves($('loss-canvas'), names.map((key, i) => ({
        color: LOSS_COLORS[i % LOSS_COLORS.length], ...figure(key),
        history: loss[key] || new ui.History(),
      })));
    });
  }

  /** showMetrics lists an evaluation's measures and puts the headline one in the stats strip. */
  function showMetrics(r, step, ms) {
    const m = r.metrics;
    const order = Object.keys(figures);
    const rank = k => (order.includes(k) ? order.indexOf(k) : order.length);
    const keys = Object.keys(m).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const dl = $('metrics');
    dl.replaceChildren();
    for (const key of keys) {
      const dt = document.createElement('dt');
      dt.textContent = figures[key] ? figures[key].label : key;
      dt.title = figures[key] ? `Good: ${figures[key].good}` : '';
      const dd = document.createElement('dd');
      dd.textContent = fmtMetric(key, m[key]);
      dd.dataset.key = key;
      dd.dataset.value = m[key] === null ? '' : String(m[key]);
      dl.append(dt, dd);
    }
    if (!keys.length) dl.textContent = 'This model has no test-set measure.';
    $('metrics-caption').textContent = `${ui.fmtInt(r.n)} test digits, step ${ui.fmtInt(step)} (${(ms / 1000).toFixed(1)} s)`;
    dl.dataset.step = String(step);
    const head = headlineMetric(m);
    if (head !== undefined && m[head] !== null) {
      const meta = figures[head] || {};
      ui.setValue('test-loss', meta.percent ? `${(100 * m[head]).toFixed(2)} %` : m[head].toFixed(3), m[head]);
      $('test-loss').dataset.step = String(step);
      $('test-loss').dataset.key = head;
      $('test-loss-step').textContent = `${meta.unit ? meta.unit + ' ' : ''}at step ${ui.fmtInt(step)}`;
      $('test-loss').title = meta.good ? `${meta.label}. Good: ${meta.good}` : '';
    } else {
      $('test-loss-step').textContent = 'no measure';
    }
  }

  /** showScore shows a sample score under the samples. */
  function showScore(r, step) {
    const text = $('score-text');
    text.hidden = false;
    text.textContent = `Score of ${ui.fmtInt(r.n)} samples: confidence ${(100 * r.confidence).toFixed(1)} % · `
      + `class entropy ${r.entropy.toFixed(2)} nats · Fréchet distance ${r.frechet.toFixed(1)}`;
    text.title = `At step ${ui.fmtInt(step)}, the shipped MNIST classifier's view of ${r.n} samples: its mean top probability, the entropy of the classes it assigns `
      + `(at most ln 10 = ${Math.log(10).toFixed(3)}; digits drawn: ${r.classes.join(', ')}), and the Fréchet distance between its features of the samples and of the first ${ui.fmtInt(r.reference)} test digits `
      + '(0 for the same distribution; the CLI compares with all 10,000, so its figure differs a little).';
    text.dataset.step = String(step);
    for (const k of ['confidence', 'entropy', 'frechet']) text.dataset[k] = String(r[k]);
  }

  /** clear empties the readouts of a new model: speed, losses, measures, score (the step is the state machine's). */
  function clear() {
    ui.setValue('samples-per-sec', '–', null);
    ui.setValue('recon-loss', '–', null);
    ui.setValue('test-recon', '–', null);
    ui.setValue('test-loss', '–', null);
    $('test-loss').dataset.step = '';
    $('test-loss-step').textContent = 'not evaluated';
    $('metrics').replaceChildren();
    $('metrics-caption').textContent = 'press Evaluate on test set';
    $('score-text').hidden = true;
    $('score-text').textContent = '';
    scheduleDraw();
  }

  /**
   * evaluating shows an evaluation under way (its bar from 0, moved by the
   * worker's progress) or, on, false, ended; failed says it gave nothing.
   */
  function evaluating(on, failed = false) {
    $('eval-bar').hidden = !on;
    if (on) {
      ui.setBar('eval-progress', 0);
      $('test-loss-step').textContent = 'evaluating…';
      $('metrics-caption').textContent = 'evaluating on 10,000 test digits…';
    } else if (failed) {
      $('test-loss-step').textContent = 'not evaluated';
      $('metrics-caption').textContent = 'not evaluated';
    }
  }

  return {
    clear, evaluating,
    layout: layoutViews, snapshot: drawSnapshot, drawRawPCA, drawLabelGrid, drawClusters, scheduleDraw,
    showMetrics, showScore, testFigure, lossLabel,
  };
}
