// Peer benchmark: the Latent Lab AAE training step written in TensorFlow.js.
//
// The page reads ?backend=wasm|cpu&model=paper|small&seconds=N (optional
// &impl=tuned|autodiff, &threads=N, &minsteps=N; or &check=1),
// builds the adversarial autoencoder with tf.variable weights and
// tf.train.adam optimizers, warms up, trains for N seconds on random batches
// in [0, 1] and publishes the result as JSON in window.benchResult and in
// #result. window.benchDone is a promise of the same result (browser.mjs
// awaits it); it rejects, and window.benchError holds the message, on failure.
//
// It trains in the page's main thread on purpose: that is TF.js's standard
// usage (its examples and tf.layers' fit() run there; the wasm backend's own
// threads do the parallel work). Latent Lab, by contrast, trains in a Worker.
//
// One step is exactly core/aae's Step, three phases with four Adam optimizers:
//   1. reconstruction: z = enc(x), loss = BCE-with-logits(dec(z), x) summed
//      over the 784 pixels, mean over the batch; updates encoder and decoder;
//   2. discriminator: codes of x (no gradient to the encoder) are "fake" (0),
//      samples of N(0, 5²I) are "real" (1); updates the discriminator;
//   3. generator: loss = BCE(D(enc(x)), 1); updates the encoder alone.
// Dense layers carry a hand-written gradient by default (impl=tuned, see
// dense: TF.js's own matMul gradient is slow on wasm); impl=autodiff uses
// TF.js's. The self-check (&check=1) compares the two.
// Differences that are TF.js's and not shortcuts: autodiff cannot reuse the
// encoder forward pass of phase 2 in phase 3, so phase 3 runs the encoder
// forward again (core/aae keeps it); each loss is read back with dataSync
// every step, so every step's work is finished before the clock reads.
'use strict';

(() => {
  // The workload, as in core/model: batch 100, Adam β1 0.5, β2 0.999, ε 1e-8,
  // learning rates 1e-3 (reconstruction) and 2e-4 (regularisation), prior σ 5.
  const BATCH = 100;
  const PIXELS = 784;
  const PRIOR_STD = 5;
  const LR_RECON = 1e-3;
  const LR_REG = 2e-4;
  const BETA1 = 0.5;
  const BETA2 = 0.999;
  const EPSILON = 1e-8;
  const POOL = 10;            // distinct random batches, cycled
  const CHECK_STEPS = 50;     // steps of the self-check

  // Layer widths, input side first. The decoder mirrors the encoder.
  const MODELS = {
    paper: {encoder: [PIXELS, 1000, 1000, 8], decoder: [8, 1000, 1000, PIXELS], discriminator: [8, 1000, 1000, 1]},
    small: {encoder: [PIXELS, 512, 256, 2], decoder: [2, 256, 512, PIXELS], discriminator: [2, 256, 256, 1]},
  };

  let impl = 'tuned'; // "tuned" or "autodiff", from the query; see forward

  const statusEl = document.getElementById('status');
  const resultEl = document.getElementById('result');

  /** setStatus shows a progress line on the page and logs it (browser.mjs forwards it to stderr). */
  function setStatus(text) {
    statusEl.textContent = text;
    console.log(text);
  }

  /** params reads and validates the URL query. */
  function params() {
    const q = new URLSearchParams(location.search);
    const check = q.get('check') === '1';
    const backend = q.get('backend') || 'wasm';
    const model = q.get('model') || 'small';
    const seconds = Number(q.get('seconds') || '20');
    // Threads of the wasm backend's XNNPACK pool. TF.js 4.22 caps any
    // request at navigator.hardwareConcurrency / 2 (it assumes two hardware
    // threads per core), so asking for all logical cores gets that cap: 1
    // thread on a 2-core machine. 0 keeps TF.js's default (the same cap).
    const threads = q.has('threads') ? Number(q.get('threads')) : navigator.hardwareConcurrency;
    if (!(Number.isInteger(threads) && threads >= 0 && threads <= 64)) throw new Error(`bench: threads ${q.get('threads')} must be an integer in [0, 64]`);
    if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`bench: unknown backend ${JSON.stringify(backend)} (want wasm or cpu)`);
    if (!(model in MODELS)) throw new Error(`bench: unknown model ${JSON.stringify(model)} (want ${Object.keys(MODELS).join(' or ')})`);
    if (!(seconds > 0 && seconds <= 3600)) throw new Error(`bench: seconds ${q.get('seconds')} must be in (0, 3600]`);
    const minSteps = Number(q.get('minsteps') || '3');
    if (!(Number.isInteger(minSteps) && minSteps >= 1)) throw new Error(`bench: minsteps ${q.get('minsteps')} must be a positive integer`);
    const impl = q.get('impl') || 'tuned';
    if (impl !== 'tuned' && impl !== 'autodiff') throw new Error(`bench: unknown impl ${JSON.stringify(impl)} (want tuned or autodiff)`);
    return {check, backend, model, seconds, minSteps, threads, impl};
  }

  /**
   * mlp returns a multilayer perceptron with widths w[0] → … → w[L]: weights
   * (in, out) and biases drawn from U(−1/√in, 1/√in) (PyTorch's default
   * bounds), ReLU between layers, a linear last layer.
   */
  function mlp(name, widths, seed) {
    const layers = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const [inp, out] = [widths[i], widths[i + 1]];
      const k = 1 / Math.sqrt(inp);
      layers.push({
        w: tf.variable(tf.randomUniform([inp, out], -k, k, 'float32', seed + 2 * i), true, `${name}.${2 * i}.weight`),
        b: tf.variable(tf.randomUniform([out], -k, k, 'float32', seed + 2 * i + 1), true, `${name}.${2 * i}.bias`),
      });
    }
    return {name, layers, vars: layers.flatMap(l => [l.w, l.b])};
  }

  /**
   * dense returns a layer op y = act(x·w + b) (x (n, in), w (in, out),
   * b (out), y (n, out)) whose gradient is written out with explicit
   * transposes:
   *   dz = dy ⊙ step(y) for ReLU (dz = dy when linear)
   *   dx = dz·transpose(w),  dw = transpose(x)·dz,  db = Σₙ dz
   * TF.js's own matMul gradient uses the transposeA/transposeB flags, which
   * the wasm backend runs 10–25× slower than a plain matMul of an explicitly
   * transposed copy (measured: 100×784×512 takes 2.7 ms plain, 35 ms with
   * transposeB, 74 ms with transposeA). Same math, TF.js's public API.
   * With needDx false the op feeds on data, not on another layer, so dx is
   * never used: it returns zeros instead of computing it, as autodiff skips it.
   */
  function dense(relu, needDx) {
    return tf.customGrad((x, w, b, save) => {
      const y = tf.fused.matMul({a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear'});
      save([x, w, y]);
      return {
        value: y,
        gradFunc: (dy, [sx, sw, sy]) => {
          const dz = relu ? tf.mul(dy, tf.step(sy)) : dy;
          return [
            needDx ? tf.matMul(dz, tf.transpose(sw)) : tf.zerosLike(sx),
            tf.matMul(tf.transpose(sx), dz),
            tf.sum(dz, 0),
          ];
        },
      };
    });
  }
  const DENSE = {relu: dense(true, true), reluNoDx: dense(true, false), linear: dense(false, true), linearNoDx: dense(false, false)};

  /**
   * forward returns the net's output logits for x (n, in). With the "tuned"
   * implementation each layer is a dense op above; with "autodiff" it is a
   * tf.fused.matMul differentiated by TF.js itself. dataIn says x is data
   * (no gradient needed with respect to it).
   */
  function forward(net, x, dataIn) {
    let y = x;
    const last = net.layers.length - 1;
    net.layers.forEach((l, i) => {
      if (impl === 'autodiff') {
        y = tf.fused.matMul({a: y, b: l.w, bias: l.b, activation: i < last ? 'relu' : 'linear'});
      } else {
        const op = i < last ? (i === 0 && dataIn ? DENSE.reluNoDx : DENSE.relu) : (i === 0 && dataIn ? DENSE.linearNoDx : DENSE.linear);
        y = op(y, l.w, l.b);
      }
    });
    return y;
  }

  /** bce returns BCE-with-logits of logits against labels, summed over everything, divided by the batch. */
  function bce(logits, labels) {
    return tf.losses.sigmoidCrossEntropy(labels, logits, undefined, 0, tf.Reduction.SUM).div(logits.shape[0]);
  }

  /** build returns the three networks and their four Adam optimizers. */
  function build(spec) {
    const m = {
      enc: mlp('encoder', spec.encoder, 1000),
      dec: mlp('decoder', spec.decoder, 2000),
      disc: mlp('discriminator', spec.discriminator, 3000),
      latent: spec.encoder[spec.encoder.length - 1],
    };
    m.optEnc = tf.train.adam(LR_RECON, BETA1, BETA2, EPSILON);  // encoder, reconstruction phase
    m.optDec = tf.train.adam(LR_RECON, BETA1, BETA2, EPSILON);  // decoder
    m.optGen = tf.train.adam(LR_REG, BETA1, BETA2, EPSILON);    // encoder, generator phase
    m.optDisc = tf.train.adam(LR_REG, BETA1, BETA2, EPSILON);   // discriminator
    return m;
  }

  /** only returns the gradients in grads that belong to net's variables. */
  function only(grads, net) {
    const out = {};
    for (const v of net.vars) out[v.name] = grads[v.name];
    return out;
  }

  /** reconLoss returns BCE(x, σ(dec(enc(x)))) summed over pixels, mean over the batch. */
  function reconLoss(m, x) {
    return bce(forward(m.dec, forward(m.enc, x, true), false), x);
  }

  /** discLoss returns BCE(D(zPrior), 1) + BCE(D(zFake), 0), each a mean over the batch. */
  function discLoss(m, zPrior, zFake) {
    const real = forward(m.disc, zPrior, true);
    const fake = forward(m.disc, zFake, true);
    return bce(real, tf.onesLike(real)).add(bce(fake, tf.zerosLike(fake)));
  }

  /** genLoss returns BCE(D(enc(x)), 1), mean over the batch. */
  function genLoss(m, x) {
    const d = forward(m.disc, forward(m.enc, x, true), false);
    return bce(d, tf.onesLike(d));
  }

  /** reconstructionPhase updates the encoder and decoder to lower reconLoss. */
  function reconstructionPhase(m, x) {
    return tf.tidy(() => {
      const {value, grads} = tf.variableGrads(() => reconLoss(m, x), [...m.enc.vars, ...m.dec.vars]);
      m.optDec.applyGradients(only(grads, m.dec));
      m.optEnc.applyGradients(only(grads, m.enc));
      return value;
    });
  }

  /** discriminatorPhase updates the discriminator alone: prior samples → 1, codes of x → 0. */
  function discriminatorPhase(m, x) {
    return tf.tidy(() => {
      const zFake = forward(m.enc, x, true); // outside variableGrads: no gradient reaches the encoder
      const zPrior = tf.randomNormal([x.shape[0], m.latent], 0, PRIOR_STD);
      const {value, grads} = tf.variableGrads(() => discLoss(m, zPrior, zFake), m.disc.vars);
      m.optDisc.applyGradients(grads);
      return value;
    });
  }

  /** generatorPhase updates the encoder alone so the discriminator calls its codes real. */
  function generatorPhase(m, x) {
    return tf.tidy(() => {
      const {value, grads} = tf.variableGrads(() => genLoss(m, x), m.enc.vars);
      m.optGen.applyGradients(grads);
      return value;
    });
  }

  /**
   * gradientGap returns, for each of the three losses, the largest
   * |g_tuned − g_autodiff| / (max |g_autodiff| + 1e-12) over the variables
   * each phase updates: the hand-written dense gradients against TF.js's own.
   */
  function gradientGap(m, x) {
    const saved = impl;
    const gaps = {};
    const cases = {
      recon: [() => reconLoss(m, x), [...m.enc.vars, ...m.dec.vars]],
      disc: [null, m.disc.vars],
      gen: [() => genLoss(m, x), m.enc.vars],
    };
    tf.tidy(() => {
      const zPrior = tf.randomNormal([x.shape[0], m.latent], 0, PRIOR_STD, 'float32', 7);
      const zFake = forward(m.enc, x, true);
      cases.disc[0] = () => discLoss(m, zPrior, zFake);
      for (const [name, [f, vars]] of Object.entries(cases)) {
        impl = 'tuned';
        const tuned = tf.variableGrads(f, vars).grads;
        impl = 'autodiff';
        const ref = tf.variableGrads(f, vars).grads;
        let gap = 0;
        for (const v of vars) {
          const diff = tf.max(tf.abs(tf.sub(tuned[v.name], ref[v.name]))).dataSync()[0];
          const scale = tf.max(tf.abs(ref[v.name])).dataSync()[0];
          gap = Math.max(gap, diff / (scale + 1e-12));
        }
        gaps[name] = gap;
      }
    });
    impl = saved;
    return gaps;
  }

  /** step runs one AAE training step on x and returns its three losses, read back (so the work is done). */
  function step(m, x) {
    const losses = [reconstructionPhase(m, x), discriminatorPhase(m, x), generatorPhase(m, x)];
    const out = losses.map(t => t.dataSync()[0]);
    tf.dispose(losses);
    return {recon: out[0], disc: out[1], gen: out[2]};
  }

  /** checksum returns Σ|v| over a net's variables, to tell whether an optimizer moved them. */
  function checksum(net) {
    return tf.tidy(() => tf.addN(net.vars.map(v => tf.sum(tf.abs(v)))).dataSync()[0]);
  }

  /** features reports the backend and, for wasm, which of its speed features are active. */
  async function features(backend) {
    const f = {backend: tf.getBackend(), tfjs: tf.version.tfjs, isolated: self.crossOriginIsolated === true,
      hardware_concurrency: navigator.hardwareConcurrency, simd: false, multithread: false, threads: 1};
    if (backend === 'wasm') {
      f.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      f.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      try {
        f.threads = tf.wasm.getThreadsCount?.() ?? null;
      } catch {
        f.threads = null;
      }
    }
    return f;
  }

  /** setBackend switches TF.js to the named backend or throws. */
  async function setBackend(backend, threads) {
    if (backend === 'wasm') {
      // The three binaries sit beside the bundle; the threaded SIMD one is
      // chosen when the page is cross-origin isolated.
      tf.wasm.setWasmPaths('node_modules/@tensorflow/tfjs-backend-wasm/dist/');
      if (threads > 0) tf.wasm.setThreadsCount(threads);
    }
    if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) {
      throw new Error(`bench: TF.js could not start the ${backend} backend (it reports ${tf.getBackend()})`);
    }
    await tf.ready();
  }

  /**
   * randomBatches returns POOL fixed batches of random pixels in [0, 1]:
   * pixel j is m_j + U(−¼, ¼), clipped, with a random mean image m. Speed
   * does not depend on the values; the per-pixel means give the autoencoder
   * something to learn beyond 0.5 everywhere, which the self-check needs.
   */
  function randomBatches() {
    return tf.tidy(() => {
      const mean = tf.randomUniform([1, PIXELS], 0, 1, 'float32', 41);
      return Array.from({length: POOL}, (_, i) =>
        tf.clipByValue(mean.add(tf.randomUniform([BATCH, PIXELS], -0.25, 0.25, 'float32', 42 + i)), 0, 1));
    });
  }

  /** bench trains for p.seconds (at least p.minSteps timed steps) after a warm-up and returns the speed. */
  async function bench(p) {
    await setBackend(p.backend, p.threads);
    tf.enableProdMode();
    const m = build(MODELS[p.model]);
    const xs = randomBatches();
    const warmup = p.backend === 'cpu' ? 1 : 5;
    setStatus(`${p.model}/${p.backend}: warming up (${warmup} steps)`);
    for (let i = 0; i < warmup; i++) step(m, xs[i % POOL]);

    // Only time spent inside steps is counted; the page yields to its event
    // loop about once a second (between steps, off the clock) so it stays alive.
    let steps = 0, ms = 0, last;
    let nextYield = performance.now() + 1000;
    while (ms < p.seconds * 1000 || steps < p.minSteps) {
      const t0 = performance.now();
      last = step(m, xs[steps % POOL]);
      const t1 = performance.now();
      ms += t1 - t0;
      steps++;
      if (t1 >= nextYield) {
        setStatus(`${p.model}/${p.backend}: ${steps} steps in ${(ms / 1000).toFixed(1)} s, ${(steps * BATCH / ms * 1000).toFixed(0)} samples/s`);
        await new Promise(r => setTimeout(r, 0));
        nextYield = performance.now() + 1000;
      }
    }
    if (!Object.values(last).every(Number.isFinite)) throw new Error(`bench: losses not finite after training: ${JSON.stringify(last)}`);
    return {
      model: p.model,
      impl: p.impl,
      ...(await features(p.backend)),
      samples_per_sec: steps * BATCH / (ms / 1000),
      steps,
      seconds: ms / 1000,
      ms_per_step: ms / steps,
      warmup_steps: warmup,
      last_losses: last,
    };
  }

  /**
   * check runs CHECK_STEPS steps and verifies the workload is real: every
   * loss finite, the reconstruction loss lower at the end than at the start,
   * and every network moved by its optimizers.
   */
  async function check(p) {
    await setBackend(p.backend, p.threads);
    const m = build(MODELS[p.model]);
    const xs = randomBatches();
    const gaps = gradientGap(m, xs[0]);
    const before = {encoder: checksum(m.enc), decoder: checksum(m.dec), discriminator: checksum(m.disc)};
    const losses = [];
    for (let i = 0; i < CHECK_STEPS; i++) losses.push(step(m, xs[i % POOL]));
    const after = {encoder: checksum(m.enc), decoder: checksum(m.dec), discriminator: checksum(m.disc)};
    const mean = a => a.reduce((s, l) => s + l.recon, 0) / a.length;
    const first = mean(losses.slice(0, 5)), last = mean(losses.slice(-5));
    const finite = losses.every(l => Number.isFinite(l.recon) && Number.isFinite(l.disc) && Number.isFinite(l.gen));
    const moved = Object.fromEntries(Object.keys(before).map(k => [k, before[k] !== after[k]]));
    const problems = [];
    if (!finite) problems.push('a loss is not finite');
    if (!(last < first)) problems.push(`reconstruction loss did not fall (first 5 steps ${first}, last 5 ${last})`);
    for (const [k, ok] of Object.entries(moved)) if (!ok) problems.push(`${k} weights did not change`);
    for (const [k, gap] of Object.entries(gaps)) {
      if (!(gap < 1e-3)) problems.push(`${k} gradients of the tuned layers differ from TF.js autodiff by ${gap} (relative)`);
    }
    return {
      check: true,
      model: p.model,
      impl: p.impl,
      ...(await features(p.backend)),
      steps: CHECK_STEPS,
      recon_first: losses[0].recon,
      recon_last: losses[losses.length - 1].recon,
      recon_first5_mean: first,
      recon_last5_mean: last,
      disc_last: losses[losses.length - 1].disc,
      gen_last: losses[losses.length - 1].gen,
      weights_changed: moved,
      gradient_gap: gaps,
      ok: problems.length === 0,
      problems,
    };
  }

  /** main runs the requested job and publishes its result. */
  async function main() {
    const p = params();
    impl = p.impl;
    const result = p.check ? await check(p) : await bench(p);
    window.benchResult = result;
    resultEl.textContent = JSON.stringify(result, null, 2);
    setStatus(p.check ? `check ${result.ok ? 'passed' : 'FAILED'}` : `done: ${result.samples_per_sec.toFixed(1)} samples/s`);
    return result;
  }

  // For poking at from the DevTools console or a profiler script.
  window.tfjsBench = {MODELS, build, step, reconstructionPhase, discriminatorPhase, generatorPhase, randomBatches,
    setImpl: v => { impl = v; }};

  window.benchDone = main().catch(e => {
    window.benchError = String((e && e.stack) || (e && e.message) || e);
    statusEl.textContent = 'error: ' + window.benchError;
    throw e;
  });
})();
