// Planned scheduling (scene-curve mode): the whole curve is known, so each switch leaves on the
// latest legal boundary whose crossfade has completed when the scene turns.  A port of
// composer_assist/playback/planned.py.

import { DEFAULT_RULE, pyRound } from './clock.js';
import { Builder, IntensityTargets, dwellEnd, dwellSamples } from './schedule.js';

const argminRow = (row) => row.reduce((b, x, i) => (x < row[b] ? i : b), 0);

/** The variant sequence the scene asks for: [landing time s, variant, tick] per change. */
export function wantedChanges(track, hysteresis, dwellS, onHold = null) {
  const nearest = track.map((t) => argminRow(t.scores));
  let cur = nearest[0], last = -1e18, halfK = null, held = null;
  const out = [];
  for (let k = 1; k < track.length; k++) {
    const best = nearest[k];
    if (best !== nearest[k - 1]) halfK = null;
    if (best === cur) { held = null; continue; }
    const margin = track[k].scores[cur] - track[k].scores[best];
    if (halfK === null && margin >= 0.5 * hysteresis) halfK = k;
    if (margin < hysteresis) {
      if (onHold && held !== `h${best}`) onHold(k, 'hysteresis', cur, best);
      held = `h${best}`;
      continue;
    }
    const tTurn = Math.max(track[halfK !== null ? halfK : k].time, last + dwellS);
    if (tTurn > track[k].time) {
      if (onHold && held !== `d${best}`) onHold(k, 'dwell', cur, best);
      held = `d${best}`;
      continue;
    }
    out.push([tTurn, best, k]);
    cur = best; last = tTurn; held = null; halfK = null;
  }
  return out;
}

/** The switch on the latest legal boundary at or after `lower` that arrives by `c` s, or null. */
function latestInTime(bld, playing, target, lower, c, fadeMax, decidedAt) {
  const g = pyRound(c * bld.sr);
  let best = null;
  // Boundaries recur at least once per loop pass, so the latest legal one lies within a pass
  // and the longest fade before the goal: start probing there.
  let probe = Math.max(lower, g - fadeMax - 2 * bld.clock.loopLen - 1);
  for (;;) {
    let sw = bld.planSwitch(probe, playing, target, decidedAt, c);
    if (sw.arrival > g) return best;
    best = sw;
    if (sw.rule.leave === 'immediate') {
      sw = bld.planSwitch(Math.max(probe, g - sw.fade), playing, target, decidedAt, c);
      return sw.arrival <= g ? sw : best;
    }
    probe = sw.sample + 1;
  }
}

/** Look-ahead scheduling on the whole (zero-phase smoothed) track of policy ticks. */
export function schedulePlanned(cue, clock, track) {
  const bld = new Builder(cue, clock, 'planned', track[0]);
  const sched = bld.sched, sr = clock.sr, hyst = cue.adaptive.hysteresis;
  const dwell = dwellSamples(cue, sr);
  const onHold = (k, reason, cur, best) => bld.entry(track[k], 'hold', { from: cur, to: best });
  const changes = wantedChanges(track, hyst, dwell / sr, onHold);
  sched.changes = changes.map(([c, v]) => [c, v]);
  const slowest = Math.min(...cue.tempoMap.points.map((p) => p.bpm));
  const maxFadeBeats = Math.max(...[DEFAULT_RULE, ...cue.transitions].map((r) => r.fade_beats));
  const fadeMax = Math.trunc(maxFadeBeats * 60.0 / slowest * sr);
  let playing = sched.startVariant, heldUntil = -(2 ** 40), fadeEnd = 0;
  const t0 = track[0].time;
  for (let i = 0; i < changes.length; i++) {
    const [c, target, k] = changes[i];
    if (target === playing) continue;
    const lower = Math.max(1, heldUntil, fadeEnd);
    let best = latestInTime(bld, playing, target, lower, c, fadeMax, t0);
    const late = best === null;
    if (late) best = bld.planSwitch(lower, playing, target, t0, c);
    const nxt = i + 1 < changes.length ? changes[i + 1][0] : null;
    if (late && nxt !== null && best.arrival / sr >= nxt) {
      bld.entry(track[k], 'skip', { to: target });
      continue;
    }
    bld.entry(track[k], 'switch', { from: playing, to: target, sample: best.sample });
    sched.switches.push(best);
    bld.head.move(best);
    playing = target; heldUntil = dwellEnd(cue, clock, best); fadeEnd = best.arrival;
  }
  const targets = new IntensityTargets(bld, track[0].intensity);
  for (let k = 1; k < track.length; k++) targets.step(track[k]);
  return sched;
}
