// Crossfade curves by id.  A port of composer_assist/playback/curves.py.

export const CURVE_IDS = { equal_power: 0, linear: 1, s_curve: 2 };

/** Gain of the entering variant at fade progress u in [0, 1]. */
export function fadeIn(curve, u) {
  if (u <= 0) return 0.0;
  if (u >= 1) return 1.0;
  if (curve === 0) return Math.sin(u * Math.PI / 2.0);
  if (curve === 1) return u;
  return 0.5 - 0.5 * Math.cos(u * Math.PI);
}

/** Gain of the leaving variant; equal power keeps in^2 + out^2 = 1 (uncorrelated material). */
export function fadeOut(curve, u) { return curve === 0 ? fadeIn(0, 1.0 - u) : 1.0 - fadeIn(curve, u); }
