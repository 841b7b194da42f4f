// Planned scheduling (scene-curve mode): the whole curve is known, so the visit sequence is the
// optimal segmentation (segmentation.js: most time within the congruence radius less a penalty
// per switch, every visit between two switches at least the dwell, the switch budget kept as its
// window for N = 2, as a spacing otherwise), opening on the nearest variant or one within the
// hysteresis of it when that keeps the music on target longer; each switch leaves on the legal
// boundary whose crossfade midpoint keeps the music worth most on the curve as read, of those
// starting no earlier than its fade and one bar before the curve as read moves towards the new
// variant and no later than the change or the move, whichever is later (and within the budget
// after the previous ones).  A port of composer_assist/playback/planned.py.

import { DEFAULT_RULE, pyRound } from './clock.js';
import {
  BUDGET_WINDOW_S, Builder, IntensityTargets, beatsPerBar, budgetOf, dwellEnd, dwellSamples, nextStartAllowed,
  keepsWindow,
} from './schedule.js';
import {
  SWITCH_PENALTY_S, bestSequence, bestSequenceWindow, gainSums, gridTicks, tickGain,
} from './segmentation.js';

const argminRow = (row) => row.reduce((b, x, i) => (x < row[b] ? i : b), 0);

const rawOf = (tick) => tick.rawScores || tick.scores;

/** Per tick and variant, what playing it is worth, on the curve as read. */
export function plannedGain(cue, track) {
  return tickGain(track.map(rawOf), cue.adaptive.congruence_radius);
}

/** The variants planned mode may open on: the nearest to the opening as read, and any other
 * within `hysteresis` of it. */
export function openingCandidates(track, hysteresis) {
  const raw = rawOf(track[0]), low = Math.min(...raw);
  return raw.map((d) => d <= low + hysteresis);
}

/** How many ticks the visits' variant is within `radius` of the curve as read. */
function ticksWithin(track, visits, radius) {
  let count = 0, i = 0;
  for (let k = 0; k < track.length; k++) {
    while (i + 1 < visits.length && visits[i + 1][0] <= k) i++;
    if (rawOf(track[k])[visits[i][1]] <= radius) count++;
  }
  return count;
}

/** The optimal visit sequence: [opening variant, [landing time s, variant, tick] per change], every
 * visit between two switches at least the dwell, at most `budget` switches in any 60 s (the window
 * for 2, a spacing of 60 / N s otherwise), opening on `start` or, given `hysteresis`, on another of
 * the opening candidates when that keeps the music within the radius longer by more than one
 * switch's penalty; `onHold` hears of each run of ticks where another variant is within the radius
 * and the chosen one is not. */
export function chosenChanges(track, gain, start, dwellS, radius, rate, onHold = null, budget = 0,
  hysteresis = null) {
  const penalty = SWITCH_PENALTY_S * rate;
  const dwell = Math.ceil(dwellS * rate - 1e-9);
  const spacingS = budget > 0 && budget !== 2 ? BUDGET_WINDOW_S / budget : 0.0;
  const best = (opening) => (budget === 2
    ? bestSequenceWindow(gain, opening, dwell, pyRound(BUDGET_WINDOW_S * rate), penalty, gridTicks(rate))
    : bestSequence(gain, opening, Math.ceil(Math.max(dwellS, spacingS) * rate - 1e-9), penalty));
  let visits = best(start);
  if (hysteresis !== null) {
    const candidates = openingCandidates(track, hysteresis);
    if (candidates.filter(Boolean).length > 1) {
      const other = best(candidates);
      if (other[0][1] !== start && ticksWithin(track, other, radius) > ticksWithin(track, visits, radius) + penalty) {
        visits = other;
      }
    }
  }
  if (onHold) reportHolds(track, visits, dwellS, radius, rate, onHold);
  return [visits[0][1], visits.slice(1).map(([k, v]) => [track[k].time, v, k])];
}

function reportHolds(track, visits, dwellS, radius, rate, onHold) {
  const n = track.length, chosen = new Array(n).fill(0);
  for (const [k, v] of visits) for (let i = k; i < n; i++) chosen[i] = v;
  const missed = (i) => rawOf(track[i])[chosen[i]] > radius && Math.min(...rawOf(track[i])) <= radius;
  for (let a = 0; a < n;) {
    if (!missed(a)) { a++; continue; }
    let b = a;
    while (b < n && missed(b)) b++;
    const length = (b - a) / rate;
    const row = rawOf(track[a]);
    onHold(a, length < dwellS ? 'dwell' : 'emotion_distance', chosen[a], row.indexOf(Math.min(...row)));
    a = b;
  }
}

/** The greedy choice (before the segmentation; kept for comparison): the variant sequence the
 * smoothed scene asks for, [landing time s, variant, tick] per change. */
export function wantedChanges(track, hysteresis, dwellS, onHold = null) {
  const nearest = track.map((t) => argminRow(t.scores));
  const first = track[0].rawScores ? argminRow(track[0].rawScores) : nearest[0];
  let cur = first, halfK = null, held = null;
  const out = [];
  for (let k = 1; k < track.length; k++) {
    const best = nearest[k];
    if (best !== nearest[k - 1]) halfK = null;
    if (best === cur) { held = null; continue; }
    const margin = track[k].scores[cur] - track[k].scores[best];
    if (halfK === null && margin >= 0.5 * hysteresis) halfK = k;
    if (margin < hysteresis) {
      if (onHold && held !== best) onHold(k, 'hysteresis', cur, best);
      held = best;
      continue;
    }
    out.push([track[halfK !== null ? halfK : k].time, best, k]);
    cur = best; held = null; halfK = null;
  }
  return dropShortVisits(out, first, dwellS, onHold);
}

/** Changes with every visit shorter than `dwellS` removed, shortest first: A -> B -> A with a
 * short B stays on A; A -> B -> C with a short B goes from A to C.  The last visit is kept. */
export function dropShortVisits(changes, first, dwellS, onHold = null) {
  const out = [...changes];
  for (;;) {
    let i = -1;
    for (let j = 0; j + 1 < out.length; j++) {
      const d = out[j + 1][0] - out[j][0];
      if (d < dwellS && (i < 0 || d < out[i + 1][0] - out[i][0])) i = j;
    }
    if (i < 0) return out;
    const before = i ? out[i - 1][1] : first;
    if (onHold) onHold(out[i][2], 'dwell', before, out[i][1]);
    out.splice(i, out[i + 1][1] === before ? 2 : 1);
  }
}

/** The first tick at or after time t (numpy.searchsorted), within the track. */
function tickAt(track, t) {
  let i = 0;
  while (i < track.length && track[i].time < t - 1e-9) i++;
  return Math.min(track.length - 1, i);
}

/** A late switch re-checked at its boundary: does its target still gain over what plays from
 * there to the next change (`sums`: gainSums)?  The visit it was chosen for may have passed. */
function stillWanted(track, sums, sw, playing, target, kNext, sr) {
  const kb = tickAt(track, sw.sample / sr);
  if (kb >= kNext) return false;
  return sums[kNext][target] - sums[kb][target] > sums[kNext][playing] - sums[kb][playing];
}

/** When the curve as read (unsmoothed) moves over from `cur` to `next` for the change committed
 * at tick k: the start of the run holding k in which `next` is nearer than `cur`; for a change
 * committed before the curve gets there, the first tick before kNext at which it is; else k. */
export function curveMovesAt(track, cur, next, k, kNext = null) {
  const raw = (i) => track[i].rawScores || track[i].scores;
  const ahead = (i) => raw(i)[cur] - raw(i)[next] > 0;
  if (ahead(k)) {
    let j = k;
    while (j > 0 && ahead(j - 1)) j--;
    return track[j].time;
  }
  const stop = kNext === null ? track.length : kNext;
  for (let i = k; i < stop; i++) if (ahead(i)) return track[i].time;
  return track[k].time;
}

/** [the switch for a change at c s whose curve moves at `moves` s, whether it is late]: of the
 * legal boundaries starting at or after `lower`, no earlier than their fade and one bar before
 * `moves` and no later than the later of c and `moves`, and arriving before the next change at
 * `until` s, the one whose crossfade midpoint keeps the music worth most on the curve as read
 * (`sums`; ties: the earlier); with none, the earliest at or after `lower` and that bound, late.
 * `reach`: the longest fade and one bar at the slowest tempo. */
function placed(bld, sums, track, playing, target, [lower, reach, until], c, moves, decidedAt) {
  const sr = bld.sr;
  const goal = pyRound(Math.max(c, moves) * sr), move = pyRound(moves * sr);
  const end = until === null ? null : pyRound(until * sr);
  const tick = Math.max(1, Math.trunc(sr / bld.cue.adaptive.control_rate));
  let best = null, worth = -Infinity;
  let probe = Math.max(lower, move - reach);
  while (probe <= goal) {
    const sw = bld.planSwitch(probe, playing, target, decidedAt, c);
    if (sw.sample > goal) break;
    if (sw.sample >= move - sw.fade - barOf(bld, sw) && (end === null || sw.arrival < end)) {
      const m = tickAt(track, (sw.sample + Math.trunc(sw.fade / 2)) / sr);
      const w = sums[m][playing] - sums[m][target]; // the variant playing up to m, the target after
      if (w > worth) { best = sw; worth = w; }
    }
    probe = sw.sample + (sw.rule.leave === 'immediate' ? tick : 1);
  }
  const late = best === null;
  if (late) {
    best = bld.planSwitch(lower, playing, target, decidedAt, c);
    const floor = move - best.fade - barOf(bld, best);
    if (best.sample < floor) best = bld.planSwitch(floor, playing, target, decidedAt, c);
  }
  best.movesAt = moves;
  return [best, late];
}

/** One bar in samples at the tempo where `sw` leaves. */
function barOf(bld, sw) {
  return bld.clock.samplesForBeats(sw.leavePos, beatsPerBar(bld.cue));
}

/** Look-ahead scheduling on the whole (zero-phase smoothed) track of policy ticks. */
export function schedulePlanned(cue, clock, track) {
  const bld = new Builder(cue, clock, 'planned', track[0]);
  const sched = bld.sched, sr = clock.sr;
  const dwell = dwellSamples(cue, sr);
  const gain = plannedGain(cue, track), sums = gainSums(gain);
  const onHold = (k, reason, cur, best) => bld.entry(track[k], 'hold', { from: cur, to: best });
  const [start, changes] = chosenChanges(track, gain, sched.startVariant, dwell / sr,
    cue.adaptive.congruence_radius, cue.adaptive.control_rate, onHold, budgetOf(cue), cue.adaptive.hysteresis);
  if (start !== sched.startVariant) {
    sched.startVariant = start;
    sched.log[0].to = bld.names[start];
  }
  sched.changes = changes.map(([c, v]) => [c, v]);
  const slowest = Math.min(...cue.tempoMap.points.map((p) => p.bpm));
  const maxFadeBeats = Math.max(...[DEFAULT_RULE, ...cue.transitions].map((r) => r.fade_beats));
  const reach = Math.trunc((maxFadeBeats + beatsPerBar(cue)) * 60.0 / slowest * sr);
  let playing = sched.startVariant, heldUntil = -(2 ** 40), fadeEnd = 0, budgetUntil = -(2 ** 40);
  const starts = [], window = keepsWindow(cue);
  const t0 = track[0].time;
  for (let i = 0; i < changes.length; i++) {
    const [c, target, k] = changes[i];
    if (target === playing) continue;
    const lower = Math.max(1, heldUntil, fadeEnd, budgetUntil); // the budget holds on switch samples too
    const moves = curveMovesAt(track, playing, target, k, i + 1 < changes.length ? changes[i + 1][2] : null);
    const nxt = i + 1 < changes.length ? changes[i + 1][0] : null;
    const [best, late] = placed(bld, sums, track, playing, target, [lower, reach, nxt], c, moves, t0);
    if (late && nxt !== null && best.arrival / sr >= nxt) {
      bld.entry(track[k], 'skip', { to: target });
      continue;
    }
    const kNext = i + 1 < changes.length ? changes[i + 1][2] : track.length;
    if (late && !stillWanted(track, sums, best, playing, target, kNext, sr)) {
      bld.entry(track[tickAt(track, best.sample / sr)], 'cancel', { from: playing, to: target });
      continue;
    }
    bld.entry(track[k], 'switch', { from: playing, to: target, sample: best.sample });
    sched.switches.push(best);
    bld.head.move(best);
    playing = target; heldUntil = dwellEnd(cue, clock, best); fadeEnd = best.arrival;
    starts.push(best.sample);
    budgetUntil = nextStartAllowed(starts, cue, sr, window);
  }
  const targets = new IntensityTargets(bld, track[0].intensity);
  for (let k = 1; k < track.length; k++) targets.step(track[k]);
  return sched;
}
