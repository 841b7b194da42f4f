// The transition trim: the entering variant enters at the leaving one's local loudness (the 3 s
// after the crossfade, at the layer gains of the intensity at the switch) and returns to its own
// matched level over a few bars.  A port of composer_assist/playback/level_trim.py.

import { LUT_STEPS } from './stems.js';

export const TRIM_MAX_DB = 3.0;
const HOLD_BARS = 2.0, RETURN_BARS = 4.0;

export const NO_TRIM = Object.freeze({ db: 0.0, hold: 0, end: 0 });

export function trimDbAt(tr, t) {
  if (t >= tr.end) return 0.0;
  if (t <= tr.hold) return tr.db;
  return tr.db * (tr.end - t) / (tr.end - tr.hold);
}

export const trimGainAt = (tr, t) => (t >= tr.end ? 1.0 : 10.0 ** (trimDbAt(tr, t) / 20.0));

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

/** The entering deck's trim for a switch at output sample t with a `fade`-sample crossfade;
 * leave and enter are [variant, cue position, passes] at t (leave null: none). */
export function transitionTrim(stems, t, fade, leave, leaveTrim, enter, intensity) {
  if (leave === null) return NO_TRIM;
  const clock = stems.clock, k = Math.trunc(intensity * LUT_STEPS + 0.5);
  const arrival = t + Math.max(0, fade);
  const posL = clock.advance(leave[1], leave[2], arrival - t)[0];
  const posE = clock.advance(enter[1], enter[2], arrival - t)[0];
  const a = localDb(stems, leave[0], posL, k), b = localDb(stems, enter[0], posE, k);
  if (a === null || b === null) return NO_TRIM;
  const vs = stems.cue.variants;
  const offset = (vs[enter[0]].level_offset_lu || 0) - (vs[leave[0]].level_offset_lu || 0);
  const db = Math.min(TRIM_MAX_DB, Math.max(-TRIM_MAX_DB, a + trimDbAt(leaveTrim, arrival) + offset - b));
  const bar = stems.cue.meter.numerator * 4.0 / stems.cue.meter.denominator;
  const hold = arrival + clock.samplesForBeats(posE, HOLD_BARS * bar);
  const end = arrival + clock.samplesForBeats(posE, (HOLD_BARS + RETURN_BARS) * bar);
  return { db, hold, end };
}
