// The training loop: rounds of steps in every worker training the model
// (each the same number of steps, so that replicas make the same gradient
// sums), aimed at ROUND_TARGET_MS of wall time; between rounds, snapshots
// of the live views (at most an eighth of the time), autosaves and slow
// motion; a task that needs the model to itself holds the loop (hold).
// onRound shows what a round did and stops a run whose loss diverged.
import * as ui from './ui.js';
import {fmtNum} from './views.js';

const ROUND_TARGET_MS = 80;     // wall time of one training round
const ROUND_MAX_STEPS = 1000;
const STEPS_ROUND = 10;         // round size under ?steps=N
const SNAPSHOT_EVERY_MS = 2000; // at least; more if snapshots are slow
// The most of the wall time the live views take: the paper model's views
// (1,000 test digits encoded and decoded) cost more than a step, and a fifth
// put the page 1.3 times behind its own training alone (BENCHMARKS.md).
const SNAPSHOT_SHARE = 1 / 8;

export class Trainer {
  /**
   * page is what the loop acts on (js/app.js's page): the state machine,
   * the model and its loss curves, the workers, the views, the saved copy,
   * and the ?steps=N budget (stepsParam, or null).
   */
  constructor(page) {
    this.c = page;
    this.loop = null;          // promise of the running training loop
    this.round = null;         // promise of the round in flight
    this.hold = null;          // promise that holds the loop between rounds (evaluation, step controls, sampling)
    this.roundSteps = 1;       // steps per round, adapted to ROUND_TARGET_MS
    this.stepsLeft = page.stepsParam ?? Infinity;
    this.samplesPerSec = null;
    // Counters since the page loaded, for benchmarks: at is performance.now() at the end of the last round.
    // time: per worker, ms spent training, in gradient sums and waiting at their
    // barrier (js/worker.js); wall: ms of training rounds, as the page saw them.
    this.stats = {steps: 0, samples: 0, at: null, wasmBytes: 0, loss: null, wall: 0, time: []};
  }

  /** running says whether training rounds are wanted (the state machine's fact). */
  get running() {
    return this.c.machine.running;
  }

  set running(v) {
    this.c.machine.running = v;
  }

  /** start begins training if the page is ready or paused (Train, Resume, ?autostart). */
  start() {
    if (this.running || !this.c.ready() || !this.c.can('start')) return;
    if (this.stepsLeft <= 0) this.stepsLeft = Infinity; // ?steps=N is done: Resume trains on
    this.running = true;
    this.c.setState('training');
    this.loop = this.run();
  }

  /** stop ends the training loop after the round in flight (state pausing) and waits for it. */
  async stop() {
    this.running = false;
    if (this.c.state() === 'training') this.c.setState('pausing');
    if (this.loop) await this.loop;
  }

  /** run trains in rounds while running is set, with snapshots, autosaves and slow motion between them. */
  async run() {
    // Without a snapshot yet (autostart), take one right after the first round.
    let nextSnapshot = this.c.snap() ? performance.now() + SNAPSHOT_EVERY_MS : 0;
    try {
      while (this.running) {
        if (this.hold) {
          await this.hold;
          continue;
        }
        const slow = this.c.slow();
        const n = slow ? 1 : Math.min(this.c.stepsParam !== null ? STEPS_ROUND : this.roundSteps, this.stepsLeft);
        const t0 = performance.now();
        // Every worker runs exactly n steps: replicas must make the same gradient sums.
        this.round = this.c.requestActive('train', () => ({steps: n}));
        const rs = await this.round;
        const wall = performance.now() - t0;
        if (!document.body.dataset.firstStepMs) this.c.span(`page: first round (${n} step${n === 1 ? '' : 's'})`, t0);
        // Aim the next round at ROUND_TARGET_MS, growing at most fourfold a round.
        this.roundSteps = Math.max(1, Math.min(ROUND_MAX_STEPS, 4 * n, Math.round(n * ROUND_TARGET_MS / Math.max(wall, 1))));
        this.stepsLeft -= n;
        this.onRound(rs, n, wall);
        if (!document.body.dataset.firstStepMs) document.body.dataset.firstStepMs = String(Math.round(performance.now()));
        if (this.stepsLeft <= 0) this.running = false;
        if (this.running && (slow || this.c.live() && performance.now() >= nextSnapshot)) {
          const t = performance.now();
          await this.c.snapshot();
          const now = performance.now();
          if (!document.body.dataset.firstSnapshotMs) {
            this.c.span('page: first snapshot after training (request + draw)', t, now);
            this.c.reportTiming();
          }
          // Spend at most SNAPSHOT_SHARE of the time drawing pictures.
          nextSnapshot = now + Math.max(SNAPSHOT_EVERY_MS, (1 / SNAPSHOT_SHARE - 1) * (now - t));
        }
        if (this.running && this.c.saveDue()) await this.c.autosave();
        if (this.running && slow) await this.c.pause();
      }
    } catch (e) {
      this.running = false;
      this.loop = null;
      // Replicas that failed mid-step no longer match: stop them all.
      if (!e.fatal) this.c.died(`Training failed: ${e.message}`);
      return;
    } finally {
      this.round = null;
    }
    this.loop = null;
    if (this.c.can('pause')) this.c.setState(this.c.machine.settled());
    await this.c.autosave().catch(e => this.c.died(e.message));
    await this.c.refreshSnapshot();
  }

  /**
   * onRound shows one round: the step and epoch of worker 0, losses summed over
   * the replicas, samples/s from wall time (none for wall 0: a step control);
   * it returns the summed losses by name.
   */
  onRound(rs, n, wall) {
    const r = rs[0];
    const {model, loss} = this.c.current();
    const batch = model.config.batch;
    const sum = key => rs.some(x => x.losses[key] === null || x.losses[key] === undefined) ? null : rs.reduce((s, x) => s + x.losses[key], 0);
    const l = {};
    for (const key of Object.keys(r.losses)) l[key] = sum(key);
    this.stats.steps += n;
    this.stats.samples += n * batch;
    this.stats.at = performance.now();
    this.stats.wall += wall;
    rs.forEach((x, i) => {
      const t = this.stats.time[i] || (this.stats.time[i] = {train: 0, reduce: 0, wait: 0});
      for (const k of Object.keys(t)) t[k] += (x.time && x.time[k]) || 0;
    });
    this.stats.wasmBytes = rs.reduce((s, x) => s + (x.memory || 0), 0);
    this.stats.loss = {step: r.step, ...l};
    this.c.position(r);
    if (wall > 0) {
      const now = n * batch / (wall / 1000);
      this.samplesPerSec = this.samplesPerSec === null ? now : 0.8 * this.samplesPerSec + 0.2 * now;
      ui.setValue('samples-per-sec', ui.fmtInt(this.samplesPerSec), Math.round(this.samplesPerSec));
    }
    const first = model.caps.lossNames[0];
    if (l[first] !== null && l[first] !== undefined) ui.setValue('recon-loss', fmtNum(l[first]), l[first]);
    for (const [key, v] of Object.entries(l)) {
      if (!loss[key]) loss[key] = new ui.History();
      loss[key].push(r.step, v);
    }
    this.c.scheduleDraw();
    // A loss the Go core reports as null is NaN or infinite: the training
    // diverged, and more steps only spread it. Stop after this round.
    const bad = model.caps.lossNames.find(k => k in l && l[k] === null);
    if (bad !== undefined && this.running) {
      this.running = false;
      document.body.dataset.diverged = String(r.step);
      const good = this.c.savedStep();
      ui.showError(`Training diverged by step ${ui.fmtInt(r.step)}: the ${this.c.lossLabel(bad)} loss is no longer a number. ` +
        'Lower the learning rates (lr_recon, lr_reg) and press Reset; these weights cannot be trusted, and a Download of them would be refused on Import.' +
        (good !== null ? ` The model as it was at step ${ui.fmtInt(good)} is saved in this browser.` : ''),
      good !== null ? {revert: {label: `Revert to step ${ui.fmtInt(good)}`, run: this.c.revert}} : {});
    }
    return l;
  }

  /**
   * held runs fn with the loop held after the round in flight (a task that
   * needs the model to itself: evaluation, step controls, sampling).
   */
  async held(fn) {
    let release;
    this.hold = new Promise(resolve => { release = resolve; });
    try {
      if (this.round) await this.round.catch(() => {});
      return await fn();
    } finally {
      this.hold = null;
      release();
    }
  }
}
