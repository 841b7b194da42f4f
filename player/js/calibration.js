// Viewer calibration: a viewer's own baseline and range mapped onto the cue's emotion plane.
// A port of composer_assist/playback/calibration.py (per axis: the viewer's mean m and spread s,
// the cue's centre c and spread S; x' = clip((1 - w) x + w (c + S / max(s, S_MIN) (x - m))),
// w = s^2 / (s^2 + TAU^2)).  Planned mode uses the whole curve's statistics, live mode running
// ones blended in over the warm-up.  Sums follow numpy's pairwise summation, so the statistics
// are the same doubles as the Python runtime's.

export const TAU = 0.2;
export const S_MIN = 0.05;
export const WARMUP_S = 20.0;

/** numpy's pairwise sum (blocks of 128, eight partial sums), for the same rounding. */
export function pairwiseSum(a, lo, n) {
  if (n < 8) {
    let s = -0.0;
    for (let i = lo; i < lo + n; i++) s += a[i];
    return s;
  }
  if (n <= 128) {
    const r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[lo + i + j];
    let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += a[lo + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

const mean = (a) => pairwiseSum(a, 0, a.length) / a.length;

/** numpy's std (population): sqrt(mean((x - mean)^2)). */
function std(a) {
  const m = mean(a), d = Float64Array.from(a, (x) => (x - m) * (x - m));
  return Math.sqrt(mean(d));
}

/** [centre valence, spread valence, centre arousal, spread arousal] of the cue's variants. */
export function cuePlane(cue) {
  const tv = cue.variants.map((v) => v.valence), ta = cue.variants.map((v) => v.arousal);
  return [mean(tv), std(tv), mean(ta), std(ta)];
}

function map(x, m, s, c, spread, weight = 1.0) {
  const w = weight * s * s / (s * s + TAU * TAU);
  const full = c + spread / Math.max(s, S_MIN) * (x - m);
  return Math.min(1.0, Math.max(-1.0, (1.0 - w) * x + w * full));
}

/** Planned mode: the whole curve's mean and spread. */
export function calibrateWhole(valence, arousal, plane) {
  const [cv, sv, ca, sa] = plane;
  const mv = mean(valence), dv = std(valence), ma = mean(arousal), da = std(arousal);
  return [Float64Array.from(valence, (x) => map(x, mv, dv, cv, sv)), Float64Array.from(arousal, (x) => map(x, ma, da, ca, sa))];
}

/** Live mode: causal running statistics (Welford), blended in over the warm-up. */
export class RunningCalibration {
  constructor(plane, rate) {
    this.plane = plane; this.rate = rate;
    this.n = 0; this.meanV = 0.0; this.m2V = 0.0; this.meanA = 0.0; this.m2A = 0.0;
  }
  step(valence, arousal) {
    this.n += 1;
    const dv = valence - this.meanV;
    this.meanV += dv / this.n;
    this.m2V += dv * (valence - this.meanV);
    const da = arousal - this.meanA;
    this.meanA += da / this.n;
    this.m2A += da * (arousal - this.meanA);
    const warm = Math.min(1.0, this.n / (this.rate * WARMUP_S));
    const [cv, sv, ca, sa] = this.plane;
    return [map(valence, this.meanV, Math.sqrt(this.m2V / this.n), cv, sv, warm),
      map(arousal, this.meanA, Math.sqrt(this.m2A / this.n), ca, sa, warm)];
  }
}
