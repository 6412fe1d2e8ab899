// The page's state machine: which state the page is in, which states it can
// go to from there, and which controls work in each. The page's code asks
// for transitions (go); the DOM only shows the state (body[data-state], the
// pill, the controls' disabled flags), it is never read back. A transition
// the table does not allow is a bug, and go throws; a control pressed in a
// state that does not allow it is refused (can).
//
//   loading     the Go core and MNIST are on their way to the workers
//   ready       a model that has not trained yet
//   building    a model is being replaced (Reset, a preset, Import, a restore)
//   training    the training loop runs rounds
//   pausing     Pause was pressed: the round in flight finishes
//   paused      a model that has trained, not training now
//   evaluating  the test set is being measured (training, if it ran, is held)
//   error       the workers died; Restart offers to begin again

export const STATES = ['loading', 'ready', 'building', 'training', 'pausing', 'paused', 'evaluating', 'error'];

/** TRANSITIONS lists, for each state, the states the page may go to from it. */
export const TRANSITIONS = {
  loading: ['ready', 'paused', 'building', 'error'],
  ready: ['training', 'building', 'evaluating', 'loading', 'error'],
  building: ['ready', 'paused', 'error', 'loading'],
  // A run that ends itself (?steps=N done, a diverged loss) goes straight to paused.
  training: ['pausing', 'paused', 'ready', 'building', 'evaluating', 'error', 'loading'],
  pausing: ['paused', 'ready', 'building', 'error', 'loading'],
  paused: ['training', 'building', 'evaluating', 'loading', 'error'],
  evaluating: ['ready', 'paused', 'training', 'error', 'loading'],
  error: ['loading', 'ready', 'paused', 'building'],
};

/** CONTROLS lists, for each control, the states in which it works. */
export const CONTROLS = {
  train: ['ready', 'training', 'paused'],   // Train, Pause, Resume (and Space)
  reset: ['ready', 'training', 'paused'],   // Reset, a preset, Start fresh, Revert
  evaluate: ['ready', 'training', 'paused'],
  download: ['ready', 'training', 'paused'],
  import: ['ready', 'training', 'paused'],
  workers: ['ready', 'training', 'paused'],
  task: ['ready', 'training', 'paused'],    // the step controls, Draw, Score
};

export class Machine {
  /** render(state, machine) shows the state; it is called after every transition. */
  constructor(render) {
    this.render = render;
    this.current = 'loading';
  }

  get state() {
    return this.current;
  }

  /** go moves to state next (staying is always allowed) and renders it; a transition the table forbids throws. */
  go(next) {
    if (!STATES.includes(next)) throw new Error(`the page has no state "${next}"`);
    if (next !== this.current && !TRANSITIONS[this.current].includes(next)) {
      throw new Error(`the page cannot go from ${this.current} to ${next}`);
    }
    this.current = next;
    this.render(next, this);
  }

  /** force moves to state s without consulting the table (the page's way out of a bug go reported). */
  force(s) {
    this.current = STATES.includes(s) ? s : 'error';
    this.render(this.current, this);
  }

  /** can says whether control works in the current state. */
  can(control) {
    return CONTROLS[control].includes(this.current);
  }
}
