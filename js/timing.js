// The page's start-up, timed: each phase (the page's and the workers') as a
// User Timing measure and in a list on the page's clock, which ?timing=1
// logs to the console once the first snapshot is drawn, and
// window.latentlab.timing() returns (bench/page.mjs prints it).

const timing = [];           // the start-up phases: {name, start, end} in ms since navigation (page and workers)
const timingLog = new URLSearchParams(location.search).get('timing') === '1';

/**
 * span records the start-up phase name from t0 to t1 (performance.now()) as a
 * performance measure and in timing; the first rounds and snapshots are timed once.
 */
export function span(name, t0, t1 = performance.now()) {
  try { performance.measure(name, {start: t0, end: t1}); } catch { /* no User Timing */ }
  timing.push({name, start: t0, end: t1});
}

/** workerSpans adds the phases worker i timed (epoch ms) to timing, on the page's clock. */
export function workerSpans(i, list) {
  for (const t of list) span(`w${i}: ${t.name}`, t.start - performance.timeOrigin, t.end - performance.timeOrigin);
}

/** reportTiming logs the start-up breakdown once (?timing=1). */
export function reportTiming() {
  document.body.dataset.firstSnapshotMs = String(Math.round(performance.now()));
  if (!timingLog) return;
  const rows = [...timing].sort((a, b) => a.start - b.start)
    .map(t => ({phase: t.name, start: Math.round(t.start), end: Math.round(t.end), ms: Math.round(t.end - t.start)}));
  console.log('latentlab start-up (ms since navigation):\n' + rows.map(r =>
    `${String(r.start).padStart(6)} → ${String(r.end).padStart(6)} ${String(r.ms).padStart(6)} ms  ${r.phase}`).join('\n'));
}


/** timings returns the phases timed so far, in ms since navigation, by start. */
export function timings() {
  return [...timing].sort((a, b) => a.start - b.start).map(t => ({...t}));
}
