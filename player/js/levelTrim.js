// The transition trim: the entering variant enters at the leaving one's local loudness (the 3 s
// after the crossfade, at the layer gains of the intensity at the switch) and returns to its own
// matched level over a few bars; and the peak guard, which keeps a crossfade and a trim under the
// loudest any variant is alone (the manifest's peak envelopes).  A port of
// composer_assist/playback/level_trim.py.

import { LUT_STEPS } from './stems.js';
import { fadeIn, fadeOut } from './curves.js';

export const TRIM_MAX_DB = 3.0;
const HOLD_BARS = 2.0, RETURN_BARS = 4.0;

export const NO_TRIM = Object.freeze({ db: 0.0, hold: 0, end: 0, guard: null, g0: 0, gstep: 0 });

export function trimDbAt(tr, t) {
  if (t >= tr.end) return 0.0;
  if (t <= tr.hold) return tr.db;
  return tr.db * (tr.end - t) / (tr.end - tr.hold);
}

/** The output sample from which the guard is 1 (its last knot), 0 without one. */
export const guardEnd = (tr) => (tr.guard ? tr.g0 + tr.gstep * (tr.guard.length - 1) : 0);

/** The output sample from which the trim's gain is 1 for good. */
export const trimLast = (tr) => Math.max(tr.end, guardEnd(tr));

export function guardAt(tr, t) {
  if (!tr.guard || t >= guardEnd(tr)) return 1.0;
  if (t <= tr.g0) return tr.guard[0];
  const k = Math.floor((t - tr.g0) / tr.gstep), r = (t - tr.g0) - k * tr.gstep;
  return tr.guard[k] + (tr.guard[k + 1] - tr.guard[k]) * (r / tr.gstep);
}

/** The first guard knot after output sample t (the mixer ends a sub-block there). */
export function nextKnot(tr, t) {
  if (!tr.guard || t >= guardEnd(tr)) return 2 ** 62;
  return t < tr.g0 ? tr.g0 : tr.g0 + (Math.floor((t - tr.g0) / tr.gstep) + 1) * tr.gstep;
}

export function trimGainAt(tr, t) {
  const trim = t >= tr.end ? 1.0 : 10.0 ** (trimDbAt(tr, t) / 20.0);
  return tr.guard ? trim * guardAt(tr, t) : trim;
}

/** 10 log10 of variant v's K-weighted mean square over the 3 s from cue position pos at the
 * layer gains of intensity row k; null without a table or when silent. */
export function localDb(stems, v, pos, k) {
  const tab = (stems.levelWindows || [])[v], hop = stems.windowHop || 0;
  if (hop <= 0 || !tab) return null;
  const j = Math.min(tab.n - 1, Math.max(0, Math.floor((pos + Math.floor(hop / 2)) / hop)));
  const L = tab.L, row = Math.min(LUT_STEPS, Math.max(0, k)), lut = stems.luts[v];
  const c = tab.data.subarray(j * L * L, (j + 1) * L * L);
  let e = 0.0;
  for (let l = 0; l < L; l++) {
    let s = 0.0;
    for (let m = 0; m < L; m++) s += c[l * L + m] * lut[row * L + m];
    e += lut[row * L + l] * s;
  }
  return e > 1e-20 ? 10.0 * Math.log10(e) : null;
}

/** [the entering deck's trim and peak guard, the stinger's gain (a guard only, or NO_TRIM)] for a
 * switch at output sample t with a `fade`-sample crossfade of `curve`; leave and enter are
 * [variant, cue position, passes] at t (leave null: none), leaveEnv the leaving deck's fade gain
 * then, stinger the stinger starting at t (-1: none). */
export function transitionGains(stems, t, fade, leave, leaveTrim, enter, intensity, curve = 0, leaveEnv = 1.0,
  stinger = -1) {
  const trim = levelTrim(stems, t, fade, leave, leaveTrim, enter, intensity);
  const [deck, shot] = peakGuard(stems, t, fade, curve, leave, leaveEnv, leaveTrim, enter, trim, stinger);
  const guarded = (tr, knots) => (knots ? { ...tr, guard: knots, g0: t, gstep: stems.peakBlock } : tr);
  return [guarded(trim, deck), guarded(NO_TRIM, shot)];
}

function levelTrim(stems, t, fade, leave, leaveTrim, enter, intensity) {
  if (leave === null) return NO_TRIM;
  const clock = stems.clock, k = Math.trunc(intensity * LUT_STEPS + 0.5);
  const arrival = t + Math.max(0, fade);
  const posL = clock.advance(leave[1], leave[2], arrival - t)[0];
  const posE = clock.advance(enter[1], enter[2], arrival - t)[0];
  const a = localDb(stems, leave[0], posL, k), b = localDb(stems, enter[0], posE, k);
  if (a === null || b === null) return NO_TRIM;
  const vs = stems.cue.variants;
  const offset = (vs[enter[0]].level_offset_lu || 0) - (vs[leave[0]].level_offset_lu || 0);
  let db = Math.min(TRIM_MAX_DB, Math.max(-TRIM_MAX_DB, a + trimDbAt(leaveTrim, arrival) + offset - b));
  const bar = stems.cue.meter.numerator * 4.0 / stems.cue.meter.denominator;
  const hold = arrival + clock.samplesForBeats(posE, HOLD_BARS * bar);
  const end = arrival + clock.samplesForBeats(posE, (HOLD_BARS + RETURN_BARS) * bar);
  if (db > 0) db = Math.min(db, trimRoomDb(stems, enter[0], posE, arrival, hold, end));
  return { db, hold, end, guard: null, g0: 0, gstep: 0 };
}

/** The largest trim (dB) that keeps the entering variant alone under the loudest block from the
 * end of the crossfade (cue position pos) until the trim is 0 again. */
function trimRoomDb(stems, v, pos, arrival, hold, end) {
  const env = (stems.peakEnv || [])[v], step = stems.peakBlock || 0;
  if (step <= 0 || !env || end <= arrival) return TRIM_MAX_DB;
  const clock = stems.clock;
  let room = TRIM_MAX_DB;
  for (let d = 0; d < end - arrival; d += step) {
    const share = Math.min(1.0, (end - (arrival + d)) / Math.max(1, end - hold));
    const p0 = position(clock, pos, d), p1 = position(clock, pos, Math.min(d + step, end - arrival) - 1);
    let peak = Math.max(env[Math.floor(p0 / step)], env[Math.floor(p1 / step)]);
    if (p1 < p0) {
      peak = Math.max(peak, env[Math.floor((clock.loopEnd - 1) / step)], env[Math.floor(clock.loopStart / step)]);
    }
    room = Math.min(room, 20.0 * Math.log10(1.0 / Math.max(peak, 1e-30)) / share);
  }
  return room;
}

/** The cue position d samples after pos (CueClock.advance). */
function position(clock, pos, d) {
  const lim = clock.limit(pos);
  return pos + d < lim ? pos + d : clock.loopStart + (d - (lim - pos)) % clock.loopLen;
}

/** The knots from output sample t (level_trim.py's docstring) of the entering deck's guard and of
 * the stinger's gain, each null when it is 1 throughout. */
export function peakGuard(stems, t, fade, curve, leave, leaveEnv, leaveTrim, enter, trim, stinger = -1) {
  const env = stems.peakEnv || [], step = stems.peakBlock || 0;
  if (step <= 0 || env.length <= enter[0] || (leave !== null && env.length <= leave[0])) return [null, null];
  const clock = stems.clock;
  const shot = stinger >= 0 && stinger < (stems.stingerEnv || []).length ? stems.stingerEnv[stinger] : null;
  const span = Math.max(fade, 0, shot ? shot.length * step : 0);
  const decks = [], shots = [];
  for (let k = 0; k < Math.ceil(span / step); k++) {
    const s0 = t + k * step, s1 = t + (k + 1) * step;
    const b = fade <= 0 ? 1.0 : fadeIn(curve, (s1 - t) / fade);
    const tb = Math.max(trimGainAt(trim, s0), trimGainAt(trim, s1));
    const loud = b * tb * envelopeOver(env[enter[0]], step, clock, clock.advance(enter[1], enter[2], s0 - t)[0], s1 - s0);
    let leaving = 0.0;
    if (leave !== null && s0 < t + fade) {
      const a = leaveEnv * fadeOut(curve, (s0 - t) / fade) * largestGain(leaveTrim, s0, s1);
      leaving = a * envelopeOver(env[leave[0]], step, clock, clock.advance(leave[1], leave[2], s0 - t)[0], s1 - s0);
    }
    // the leaving deck plays on as it was, the stinger takes what room it leaves, the entering deck the rest
    const hit = shot && k < shot.length ? shot[k] : 0.0;
    let room = Math.max(0.0, Math.max(1.0, hit) - leaving);
    const h = hit <= room ? 1.0 : room / hit;
    room -= h * hit;
    shots.push(h);
    decks.push(loud <= room ? 1.0 : Math.max(0.0, room / loud));
  }
  return [knotsOf(decks), knotsOf(shots)];
}

/** Knots at the block edges, each the lower of the two blocks it joins (1 outside them), and a last
 * one at 1; null when every bound is 1. */
function knotsOf(bounds) {
  if (bounds.every((g) => g >= 1.0)) return null;
  const ext = [1.0, ...bounds, 1.0];
  const knots = new Float64Array(ext.length);
  for (let k = 0; k < ext.length - 1; k++) knots[k] = Math.min(ext[k], ext[k + 1]);
  knots[ext.length - 1] = 1.0;
  return knots;
}

function largestGain(tr, s0, s1) {
  let g = Math.max(trimGainAt(tr, s0), trimGainAt(tr, s1));
  for (let k = nextKnot(tr, s0); k < s1; k = nextKnot(tr, k)) g = Math.max(g, trimGainAt(tr, k));
  return g;
}

function envelopeOver(env, step, clock, pos, d) {
  let top = 0.0;
  while (d > 0) {
    const take = Math.min(d, clock.limit(pos) - pos);
    if (take <= 0) break;
    for (let j = Math.floor(pos / step); j <= Math.floor((pos + take - 1) / step); j++) top = Math.max(top, env[j]);
    d -= take;
    pos = clock.loopStart;
  }
  return top;
}
