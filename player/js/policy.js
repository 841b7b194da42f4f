// The policy: at every control tick, how near each variant is and how intense the music should be.
// A port of composer_assist/playback/policy.py (live: causal, one tick at a time; planned: the
// whole curve interpolated and smoothed forward and backward) and of core/profile.py's blending.
// With `calibrate` in the package's policy settings, a viewer's readings are first mapped onto
// the cue's plane (calibration.js).

import { RunningCalibration, calibrateWhole, cuePlane } from './calibration.js';

export const PROFILE_BLEND_WIDTH = 0.15;
export const DEFAULT_CONFIG = Object.freeze({
  smoothing_s: 0.75, valence_weight: 1.0, arousal_weight: 1.0, heart_rate_weight: 0.3,
  heart_rate_baseline_s: 30.0, heart_rate_scale_bpm: 20.0, calibrate: false,
});

/** The policy settings the package ships (adaptive.policy), over the defaults. */
export function configOf(cue) {
  const adaptive = cue.adaptive || {};
  const cfg = { ...DEFAULT_CONFIG, ...(adaptive.policy || {}) };
  // Calibration is its own block of the manifest (adaptive.calibration.enabled), as the runtime reads it.
  if (adaptive.calibration && typeof adaptive.calibration.enabled === 'boolean') cfg.calibrate = adaptive.calibration.enabled;
  return cfg;
}

const clip = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

export function smoothingAlpha(rate, smoothingS) {
  return smoothingS > 0 ? 1.0 - Math.exp(-1.0 / (rate * smoothingS)) : 1.0;
}

/** The one-pole y += alpha (x - y), y starting at the first value, forward or backward. */
export function ema(x, alpha, backward = false) {
  const n = x.length, out = new Float64Array(n);
  if (!n) return out;
  let y = backward ? x[n - 1] : x[0];
  for (let j = 0; j < n; j++) {
    const i = backward ? n - 1 - j : j;
    y += alpha * (x[i] - y);
    out[i] = y;
  }
  return out;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** numpy.interp for sorted xp (values outside held at the ends). */
export function interp(x, xp, fp) {
  const out = new Float64Array(x.length);
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v <= xp[0]) { out[i] = fp[0]; continue; }
    if (v >= xp[xp.length - 1]) { out[i] = fp[fp.length - 1]; continue; }
    while (xp[j + 1] <= v) j++;
    const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    out[i] = slope * (v - xp[j]) + fp[j];
  }
  return out;
}

const CONTEXTS = ['high_arousal_positive', 'high_arousal_negative', 'low_arousal_positive', 'low_arousal_negative'];

/** A listener profile's four contexts mixed by soft quadrant weights (ClusterProfile.blended_preference). */
export function blendedPreference(profile, valence, arousal, width = PROFILE_BLEND_WIDTH) {
  const hi = 1.0 / (1.0 + Math.exp(-clip(arousal / width, -60, 60)));
  const pos = 1.0 / (1.0 + Math.exp(-clip(valence / width, -60, 60)));
  const w = [hi * pos, hi * (1.0 - pos), (1.0 - hi) * pos, (1.0 - hi) * (1.0 - pos)];
  const out = { valence_shift: 0.0, arousal_shift: 0.0, tag_weights: {} };
  CONTEXTS.forEach((key, i) => {
    const p = profile.contexts[key];
    if (!p || w[i] === 0.0) return;
    out.valence_shift += w[i] * (p.valence_shift || 0);
    out.arousal_shift += w[i] * (p.arousal_shift || 0);
    for (const [tag, tw] of Object.entries(p.tag_weights || {})) {
      out.tag_weights[tag] = (out.tag_weights[tag] || 0.0) + w[i] * tw;
    }
  });
  return out;
}

const tagBonus = (pref, tags) => tags.reduce((s, t) => s + (pref.tag_weights[t] || 0.0), 0.0);

/**
 * The (lowest, highest) arousal a variant expresses (core/emotion_span.py): its intensity range
 * mapped to arousal (2i - 1) when its arousal follows intensity, else its target.
 */
export function arousalSpan(v) {
  return v.arousal_follows_intensity ? [2 * v.intensity[0] - 1, 2 * v.intensity[1] - 1] : [v.arousal, v.arousal];
}

/** Weighted distance of (wv, wa) to every variant's nearest emotion, less the tag bonus (lower wins). */
function distances(cue, cfg, wv, wa, pref) {
  return cue.variants.map((v) => {
    const [lo, hi] = arousalSpan(v);
    const dv = wv - v.valence, da = wa - Math.min(Math.max(wa, lo), hi);
    const s = Math.sqrt(cfg.valence_weight * (dv * dv) + cfg.arousal_weight * (da * da));
    return pref ? s - tagBonus(pref, v.tags) : s;
  });
}

/**
 * Scores of every variant for the wanted emotion (the smoothed one, shifted by the profile), and
 * the same on the emotion as read (unsmoothed, the tick's profile shift applied): what the
 * viewer's curve says at that instant (the opening variant, re-checks, planned onsets).
 */
function score(cue, profile, cfg, sv, sa, v, a) {
  let wv = sv, wa = sa, pref = null;
  if (profile) {
    pref = blendedPreference(profile, sv, sa);
    wv = clip(sv + pref.valence_shift, -1, 1);
    wa = clip(sa + pref.arousal_shift, -1, 1);
  }
  const scores = distances(cue, cfg, wv, wa, pref);
  const rawScores = distances(cue, cfg, clip(v + wv - sv, -1, 1), clip(a + wa - sa, -1, 1), pref);
  return { wv, wa, scores, rawScores };
}

/** The live policy, stepped once per control tick with the emotion of that moment only. */
export class LivePolicy {
  constructor(cue, profile = null, config = DEFAULT_CONFIG) {
    this.cue = cue; this.profile = profile; this.cfg = config;
    this.rate = cue.adaptive.control_rate;
    this.alpha = smoothingAlpha(this.rate, this.cfg.smoothing_s);
    this.sv = null; this.sa = null; this.hr = null;
    this.hrSeen = []; this.hrBase = null; this.jumped = false;
    this.calibration = this.cfg.calibrate ? new RunningCalibration(cuePlane(cue), this.rate) : null;
  }
  heartRateSample(t, bpm) { if (t <= this.cfg.heart_rate_baseline_s) this.hrSeen.push(bpm); }
  /** Jump the smoothed emotion (a manual override): the next tick acts on it at once. */
  override(v, a) { this.sv = v; this.sa = a; this.jumped = true; }

  /** One tick: calibration (a viewer's reading, not a manual override), smoothing, profile,
   * distances to every variant, intensity. */
  step(time, valence, arousal, heartRate = null, intensity = null, calibrate = true) {
    if (this.calibration && calibrate) [valence, arousal] = this.calibration.step(valence, arousal);
    const a = this.alpha;
    this.sv = this.sv === null ? valence : this.sv; this.sv += a * (valence - this.sv);
    this.sa = this.sa === null ? arousal : this.sa; this.sa += a * (arousal - this.sa);
    const { wv, wa, scores, rawScores } = score(this.cue, this.profile, this.cfg, this.sv, this.sa, valence, arousal);
    let drive = wa, hrA = null;
    if (heartRate !== null && this.cfg.heart_rate_weight > 0) {
      hrA = this.heartRateArousal(time, heartRate);
      drive = (1.0 - this.cfg.heart_rate_weight) * wa + this.cfg.heart_rate_weight * hrA;
    }
    if (intensity === null) intensity = clip((drive + 1.0) / 2.0, 0, 1);
    const jump = this.jumped;
    this.jumped = false;
    return { time, valence, arousal, smoothValence: this.sv, smoothArousal: this.sa, wantValence: wv,
      wantArousal: wa, intensity, scores, rawScores, heartRateArousal: hrA, traceStart: 0, jump };
  }

  heartRateArousal(time, bpm) {
    this.hr = this.hr === null ? bpm : this.hr; this.hr += this.alpha * (bpm - this.hr);
    if (this.hrBase === null && time >= this.cfg.heart_rate_baseline_s && this.hrSeen.length) {
      this.hrBase = median(this.hrSeen); // the baseline window is full: freeze it
    }
    const base = this.hrBase !== null ? this.hrBase : median(this.hrSeen.length ? this.hrSeen : [bpm]);
    return clip((this.hr - base) / this.cfg.heart_rate_scale_bpm, -1, 1);
  }
}

/** A recorded trace given to a live policy as a viewer would give it: only rows already seen. */
export class TraceFeed {
  constructor(trace) {
    this.start = trace.times[0];
    this.rel = trace.times.map((t) => t - this.start);
    this.trace = trace; this.i = -1;
  }
  tick(policy, t, over = {}) {
    const tr = this.trace, hr = tr.heartRate;
    const liveHr = over.heartRate ?? null;
    while (this.i + 1 < this.rel.length && this.rel[this.i + 1] <= t) {
      this.i += 1;
      if (hr && liveHr === null) policy.heartRateSample(this.rel[this.i], hr[this.i]);
    }
    const i = Math.max(this.i, 0);
    const h = liveHr !== null ? liveHr : (hr ? hr[i] : null);
    const tick = policy.step(t, over.valence ?? tr.valence[i], over.arousal ?? tr.arousal[i], h,
      over.intensity ?? null);
    tick.traceStart = this.start;
    return tick;
  }
}

/** Tick times (audio s) for a trace: every 1/rate s over its span (policy.control_ticks). */
export function controlTicks(trace, cue, duration = null) {
  const rate = cue.adaptive.control_rate;
  const rel = trace.times.map((t) => t - trace.times[0]);
  const total = duration === null ? rel[rel.length - 1] : duration;
  if (!(total > 0)) throw new Error(`trace: needs a positive duration, got ${total} s`);
  const n = Math.floor(total * rate + 1e-9) + 1;
  return { ticks: Float64Array.from({ length: n }, (_, k) => k / rate), rel };
}

/** Every tick of a trace through the live policy, as the player steps it. */
export function liveTrack(trace, cue, profile = null, config = DEFAULT_CONFIG, duration = null) {
  const { ticks } = controlTicks(trace, cue, duration);
  const policy = new LivePolicy(cue, profile, config), feed = new TraceFeed(trace);
  return Array.from(ticks, (t) => feed.tick(policy, t));
}

/** The whole curve known: interpolated, smoothed forward and backward (zero phase, no lag). */
export function plannedTrack(trace, cue, profile = null, cfg = DEFAULT_CONFIG, duration = null) {
  const { ticks, rel } = controlTicks(trace, cue, duration);
  const alpha = smoothingAlpha(cue.adaptive.control_rate, cfg.smoothing_s);
  const zp = (x) => ema(ema(x, alpha), alpha, true);
  let v = interp(ticks, rel, trace.valence), a = interp(ticks, rel, trace.arousal);
  if (cfg.calibrate) [v, a] = calibrateWhole(v, a, cuePlane(cue));
  const sv = zp(v), sa = zp(a);
  let hrA = null, w = cfg.heart_rate_weight;
  if (trace.heartRate && w > 0) {
    const h = zp(interp(ticks, rel, trace.heartRate));
    const base = median(trace.heartRate.filter((_, i) => rel[i] <= cfg.heart_rate_baseline_s));
    hrA = Array.from(h, (x) => clip((x - base) / cfg.heart_rate_scale_bpm, -1, 1));
  }
  return Array.from(ticks, (t, k) => {
    const { wv, wa, scores, rawScores } = score(cue, profile, cfg, sv[k], sa[k], v[k], a[k]);
    const drive = hrA ? (1.0 - w) * wa + w * hrA[k] : wa;
    return { time: t, valence: v[k], arousal: a[k], smoothValence: sv[k], smoothArousal: sa[k], wantValence: wv,
      wantArousal: wa, intensity: clip((drive + 1.0) / 2.0, 0, 1), scores, rawScores,
      heartRateArousal: hrA ? hrA[k] : null, traceStart: trace.times[0] };
  });
}
