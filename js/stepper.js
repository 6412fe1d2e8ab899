// Step-through, as GAN Lab gives it: for a model whose step has phases (a
// model.PhaseStepper: the AAE's reconstruction, discriminator and
// generator; a GAN's discriminator and generator), one button per phase,
// one for a whole step, and "phase by phase", which runs each phase of a
// step in turn with the views redrawn after each, so the codes can be seen
// moving, and the loss of each phase beside it. Slow motion trains a step
// at a time with the views redrawn after every one (app.js's loop asks
// slow()).
const $ = id => document.getElementById(id);
const WALK_PAUSE_MS = 700;  // between the phases of a walk, for the eye
const SLOW_PAUSE_MS = 250;  // between the steps of slow motion

/**
 * createStepper wires the step controls. current() returns the page's
 * {model}; run(phase) runs one phase (null: a whole step) with training
 * held and resolves with the summed losses by name after the views are
 * redrawn; figure(key) names a loss (js/views.js).
 */
export function createStepper({current, run, figure}) {
  let walking = false;

  /** build offers the current model's phases (none: the controls hide). */
  function build() {
    const {model} = current();
    const box = $('phase-controls');
    const phases = model.caps.phases || [];
    box.hidden = phases.length === 0;
    $('phase-caption').hidden = true;
    const k = model.config.disc_steps;
    const buttons = phases.map(phase => {
      const disc = /disc/.test(phase) && k > 1 && !model.caps.encoder;
      const b = button(disc ? `${phase} (k=${k})` : phase, () => once(phase),
        `Run only the "${phase}" phase of one training step on the next batch, then redraw`
        + (disc ? `; it makes the discriminator's k = ${k} steps (Disc. steps; Apply changes k as it trains)` : ''));
      b.dataset.phase = phase;
      return b;
    });
    const full = button('step', () => once(null), 'Run one whole training step, then redraw');
    full.dataset.phase = '';
    const walk = button('phase by phase', walkPhases,
      `Run the ${phases.join(', ')} phases one after another, redrawing the views after each, with each phase's loss beside the buttons`);
    walk.id = 'phase-walk';
    box.replaceChildren(...buttons, full, walk);
  }

  /** button makes a small step-control button. */
  function button(text, onclick, title) {
    const b = document.createElement('button');
    b.className = 'small';
    b.textContent = text;
    b.title = title;
    b.onclick = onclick;
    return b;
  }

  async function once(phase) {
    const l = await run(phase);
    if (l) say([[phase, l]]);
  }

  /** walkPhases runs each phase of one step in turn, showing the views and the loss after each. */
  async function walkPhases() {
    if (walking) return;
    walking = true;
    const {model} = current();
    const done = [];
    try {
      for (const phase of model.caps.phases) {
        const l = await run(phase);
        if (!l) break;
        done.push([phase, l]);
        say(done);
        await new Promise(resolve => setTimeout(resolve, WALK_PAUSE_MS));
      }
    } finally {
      walking = false;
      $('phase-caption').dataset.walked = String(done.length);
    }
  }

  /** say shows, for each [phase, losses] run, the phase and the losses it computed. */
  function say(runs) {
    const {model} = current();
    const caption = $('phase-caption');
    caption.hidden = false;
    caption.textContent = runs.map(([phase, l]) => {
      const names = model.caps.lossNames.filter(k => l[k] !== null && l[k] !== undefined && l[k] !== 0);
      const text = names.map(k => `${figure(k).short || figure(k).label} ${l[k].toFixed(3)}`).join(', ');
      return `${phase || 'step'}: ${text || '–'}`;
    }).join(' → ');
  }

  return {
    build,
    /** slow says whether slow motion is on: rounds of one step, each redrawn, SLOW_PAUSE_MS apart. */
    slow: () => $('slow-motion').checked,
    pause: () => new Promise(resolve => setTimeout(resolve, SLOW_PAUSE_MS)),
  };
}
