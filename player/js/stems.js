// Decoded stems laid out for the mixer: per variant and layer an interleaved stereo Float32Array
// with the layer's fader, pan and the variant's matched gain applied, the loop seams (what rings
// past the loop end added onto the loop start) and the intensity-to-gain tables.
// A port of composer_assist/playback/stems.py and core/mixmath.py.

import { CueClock } from './clock.js';

export const LUT_STEPS = 4096;
const MAX_SEAM_S = 4.0;
const DECLICK_S = 0.01;
const f32 = Math.fround;

export const dbToGain = (db) => 10.0 ** (db / 20.0);

/** Constant-power pan for a stereo source, unity at centre: [left, right]. */
export function panGains(pan) {
  const theta = (Math.min(1.0, Math.max(-1.0, pan)) + 1.0) * Math.PI / 4.0;
  return [Math.cos(theta) * Math.sqrt(2.0), Math.sin(theta) * Math.sqrt(2.0)];
}

/** Gain (0..1) of a layer whose range is [lo, hi], ramping over `fade` outside each edge. */
export function layerGain(x, lo, hi, fade) {
  if (fade <= 0) return x >= lo && x <= hi ? 1.0 : 0.0;
  const up = Math.min(1, Math.max(0, (x - (lo - fade)) / fade));
  const down = Math.min(1, Math.max(0, ((hi + fade) - x) / fade));
  return up * down;
}

/** (LUT_STEPS + 1) x layers gains by intensity, flat: the variant's range, each layer's ramp. */
function gainTable(variant, layers) {
  const n = layers.length, lut = new Float32Array((LUT_STEPS + 1) * n);
  const [vlo, vhi] = variant.intensity;
  for (let k = 0; k <= LUT_STEPS; k++) {
    const x = Math.min(vhi, Math.max(vlo, k * (1.0 / LUT_STEPS)));
    layers.forEach((l, i) => { lut[k * n + i] = layerGain(x, l.intensity[0], l.intensity[1], l.fade); });
  }
  return lut;
}

/** One layer's interleaved body (gains applied) and what rings past the loop end into `wrap`. */
function layerRows(layer, audio, tail, clock, length, seam, match) {
  const g = panGains(layer.pan), gain = dbToGain(layer.gain_db);
  const gl = f32(gain * g[0] * match), gr = f32(gain * g[1] * match);
  const col = new Float32Array(2 * length), wrap = new Float32Array(2 * seam);
  const [L, R] = audio;
  for (let i = 0; i < L.length; i++) { col[2 * i] = L[i] * gl; col[2 * i + 1] = R[i] * gr; }
  const declick = Math.max(1, Math.trunc(DECLICK_S * clock.sr));
  if (clock.loopEnd >= length) {
    if (tail) {
      const k = Math.min(seam, tail[0].length);
      for (let i = 0; i < k; i++) { wrap[2 * i] = tail[0][i] * gl; wrap[2 * i + 1] = tail[1][i] * gr; }
      if (tail[0].length > seam) { // fade a tail longer than the seam out over its last DECLICK_S
        const d = Math.min(declick, k);
        for (let i = 0; i < d; i++) {
          const r = d > 1 ? f32(1.0 - i / (d - 1)) : 1.0;
          wrap[2 * (k - d + i)] *= r; wrap[2 * (k - d + i) + 1] *= r;
        }
      }
    }
  } else {
    const k = Math.min(seam, length - clock.loopEnd, declick);
    for (let i = 0; i < k; i++) {
      const r = f32(1.0 - i / k);
      wrap[2 * i] = col[2 * (clock.loopEnd + i)] * r; wrap[2 * i + 1] = col[2 * (clock.loopEnd + i) + 1] * r;
    }
  }
  const o = 2 * clock.loopStart;
  for (let i = 0; i < 2 * seam; i++) wrap[i] += col[o + i];
  return { col, wrap };
}

/** A manifest's `loudness_windows` rows (upper triangles) as {n, L, data: Float64Array(n * L * L)}. */
export function unpackWindows(rows, L) {
  const data = new Float64Array(rows.length * L * L);
  rows.forEach((r, j) => {
    let i = 0;
    for (let l = 0; l < L; l++) {
      for (let m = l; m < L; m++, i++) { data[j * L * L + l * L + m] = r[i]; data[j * L * L + m * L + l] = r[i]; }
    }
  });
  return { n: rows.length, L, data };
}

/** g^T c g for the gains in row k of a flat lut (n layers), summed as core/level_windows.energy. */
function energy(c, L, lut, k) {
  let e = 0.0;
  for (let l = 0; l < L; l++) {
    let acc = 0.0;
    for (let m = 0; m < L; m++) acc += c[l * L + m] * lut[k * L + m];
    e += lut[k * L + l] * acc;
  }
  return e;
}

/** Per variant a gain per intensity row putting it at the variants' common level there (plus its
 * level_offset_lu): a port of core/level_windows.intensity_makeup. */
export function intensityMakeup(luts, tables, offsets) {
  const rows = LUT_STEPS + 1;
  const energies = luts.map((lut, v) => {
    const tab = tables[v];
    if (!tab) return null;
    const L = tab.L, mean = new Float64Array(L * L);
    for (let j = 0; j < tab.n; j++) for (let i = 0; i < L * L; i++) mean[i] += tab.data[j * L * L + i];
    for (let i = 0; i < L * L; i++) mean[i] /= tab.n;
    const o = 10.0 ** (offsets[v] / 10.0), e = new Float64Array(rows);
    for (let k = 0; k < rows; k++) e[k] = energy(mean, L, lut, k) / o;
    return e;
  });
  const have = energies.filter((e) => e !== null);
  if (have.length < 2) return luts.map(() => null);
  const n = have.length, target = new Float64Array(rows), col = new Float64Array(n);
  for (let k = 0; k < rows; k++) {
    have.forEach((e, i) => { col[i] = e[k]; });
    col.sort();
    target[k] = n % 2 ? col[n >> 1] : Math.sqrt(col[(n >> 1) - 1] * col[n >> 1]);
  }
  return energies.map((e) => {
    if (e === null) return null;
    const g = new Float64Array(rows);
    for (let k = 0; k < rows; k++) g[k] = e[k] > 1e-20 && target[k] > 1e-20 ? Math.sqrt(target[k] / e[k]) : 1.0;
    return g;
  });
}

/**
 * The stem set of a cue: `audio[variant][layer]` and `tails[variant][layer]` are [L, R]
 * Float32Arrays, `stingers[name]` likewise, `levels[variant]` the matched linear gain,
 * `windows` {hop, byVariant: {name: manifest loudness_windows rows}} the local loudness tables,
 * `peaks` {block, byVariant: {name: manifest peak_envelope}, stingers: {name: peak_envelope}} the
 * peak envelopes (the transition's peak guard; null, or a variant without one: no guard, a stinger
 * without one: stingers out of it, as the runtime reads a manifest).
 */
export function buildStemSet(cue, sampleRate, audio, tails = {}, stingers = {}, levels = {}, windows = null,
  peaks = null) {
  let length = 0;
  for (const per of Object.values(audio)) for (const a of Object.values(per)) length = Math.max(length, a[0].length);
  const clock = new CueClock(cue, sampleRate, length);
  const seam = Math.min(Math.trunc(MAX_SEAM_S * sampleRate), clock.loopLen);
  const out = { cue, sampleRate, length, clock, seam, variantNames: [], layerNames: [], stacks: [], seams: [],
    luts: [], stingerNames: [], stingers: [], levelWindows: [], windowHop: 0, peakEnv: [], peakBlock: 0,
    stingerEnv: [] };
  for (const v of cue.variants) {
    const per = audio[v.name];
    if (!per) throw new Error(`no stems for variant ${v.name}`);
    const layers = v.layers.filter((l) => per[l.name]);
    const match = levels[v.name] ?? 1.0;
    const rows = layers.map((l) => layerRows(l, per[l.name], (tails[v.name] || {})[l.name], clock, length, seam, match));
    out.variantNames.push(v.name);
    out.layerNames.push(layers.map((l) => l.name));
    out.stacks.push(rows.map((r) => r.col));
    out.seams.push(rows.map((r) => r.wrap));
    out.luts.push(gainTable(v, layers));
    const winRows = windows && windows.hop > 0 ? (windows.byVariant || {})[v.name] : null;
    out.levelWindows.push(winRows && winRows.length ? unpackWindows(winRows, layers.length) : null);
  }
  if (out.levelWindows.some((w) => w)) out.windowHop = windows.hop;
  const envs = cue.variants.map((v) => (peaks && peaks.block > 0 ? (peaks.byVariant || {})[v.name] : null));
  if (envs.every((e) => e)) {
    const want = Math.ceil(length / peaks.block);
    cue.variants.forEach((v, i) => {
      if (envs[i].length !== want || !envs[i].every((x) => Number.isFinite(x) && x >= 0)) {
        throw new Error(`manifest: variant ${v.name}: peak_envelope holds ${envs[i].length} values, expected ${want} `
          + `finite values >= 0 (one per ${peaks.block} samples of the cue)`);
      }
    });
    out.peakEnv = envs.map((e) => Float64Array.from(e));
    out.peakBlock = peaks.block;
  }
  // Level matching over the intensity range: each row of a variant's table carries the gain that
  // puts it at the common level at that intensity (core/level_windows.intensity_makeup).
  const makeup = intensityMakeup(out.luts, out.levelWindows, cue.variants.map((v) => v.level_offset_lu || 0));
  makeup.forEach((g, v) => {
    if (!g) return;
    const lut = out.luts[v], n = out.layerNames[v].length;
    for (let k = 0; k <= LUT_STEPS; k++) for (let i = 0; i < n; i++) lut[k * n + i] = f32(lut[k * n + i] * g[k]);
  });
  for (const s of cue.stingers || []) {
    const a = stingers[s.name];
    if (!a) continue;
    const g = panGains(s.pan || 0), gain = dbToGain(s.gain_db || 0);
    const gl = f32(gain * g[0]), gr = f32(gain * g[1]);
    const flat = new Float32Array(2 * a[0].length);
    for (let i = 0; i < a[0].length; i++) { flat[2 * i] = a[0][i] * gl; flat[2 * i + 1] = a[1][i] * gr; }
    out.stingerNames.push(s.name);
    out.stingers.push(flat);
  }
  // the stingers' envelopes, when every stinger has one (else they stay out of the peak guard)
  const shots = out.stingerNames.map((name) => (out.peakBlock > 0 ? ((peaks || {}).stingers || {})[name] : null));
  if (shots.length && shots.every((e) => e)) {
    out.stingerNames.forEach((name, i) => {
      const want = Math.max(1, Math.ceil((out.stingers[i].length >> 1) / out.peakBlock));
      if (shots[i].length !== want || !shots[i].every((x) => Number.isFinite(x) && x >= 0)) {
        throw new Error(`manifest: stinger ${name}: peak_envelope holds ${shots[i].length} values, expected ${want} `
          + `finite values >= 0 (one per ${out.peakBlock} samples of the stinger)`);
      }
    });
    out.stingerEnv = shots.map((e) => Float64Array.from(e));
  }
  return out;
}
