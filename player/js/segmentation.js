// Optimal variant sequence for planned mode: a Viterbi segmentation with a minimum visit length.
// A port of composer_assist/playback/segmentation.py with the same float operations in the same
// order (running sums one addition per tick, exact maxima, first index on ties), so the choice is
// the same visit for visit.

import { pyRound } from './clock.js';

export const DISTANCE_WEIGHT = 0.3;
export const SWITCH_PENALTY_S = 2.0;

/** Per tick and variant: 1 within `radius` (0 outside) less DISTANCE_WEIGHT times the distance. */
export function tickGain(distRows, radius, weight = DISTANCE_WEIGHT) {
  return distRows.map((row) => row.map((d) => (d <= radius ? 1.0 : 0.0) - weight * d));
}

/** Running sums of `gain` from a zero row: row t sums ticks [0, t). */
export function gainSums(gain) {
  const nv = gain.length ? gain[0].length : 0;
  const out = [new Array(nv).fill(0.0)];
  for (let t = 0; t < gain.length; t++) out.push(out[t].map((c, v) => c + gain[t][v]));
  return out;
}

const argmaxRow = (row) => row.reduce((b, x, i) => (x > row[b] ? i : b), 0);

/** Which variants may open: `start` as an index, an array of booleans, or null (any). */
export function openingsMask(start, nv) {
  if (start === null || start === undefined) return new Array(nv).fill(true);
  if (Array.isArray(start)) return start.map(Boolean);
  return Array.from({ length: nv }, (_, v) => v === start);
}

/** The visits [first tick, variant] maximising the summed gain less `penalty` per switch, opening
 * on `start` (an index or a mask), every visit between two switches at least `minLen` ticks long. */
export function bestSequence(gain, start, minLen, penalty) {
  const n = gain.length, nv = gain[0].length, L = Math.max(1, Math.trunc(minLen));
  const csum = gainSums(gain);
  const A = [], src = [];
  for (let t = 0; t <= n; t++) { A.push(new Array(nv).fill(-Infinity)); src.push(new Array(nv).fill(-1)); }
  openingsMask(start, nv).forEach((ok, v) => { if (ok) A[0][v] = 0.0; });
  for (let t = 1; t <= Math.min(L, n); t++) A[t] = A[0].slice();
  for (let t = L + 1; t <= n; t++) {
    const E = A[t - L].map((a, u) => a + csum[t - L][u]);
    const i1 = argmaxRow(E);
    const rest = E.slice(); rest[i1] = -Infinity;
    const i2 = argmaxRow(rest);
    for (let v = 0; v < nv; v++) {
      const own = v === i1;
      const cand = ((own ? rest[i2] : E[i1]) - penalty) - csum[t - L][v];
      if (cand > A[t - 1][v]) { A[t][v] = cand; src[t][v] = own ? i2 : i1; } else A[t][v] = A[t - 1][v];
    }
  }
  return traceBack(A, csum, src, n, nv, L, penalty);
}

function traceBack(A, csum, src, n, nv, L, penalty) {
  const E = A[n].map((a, v) => a + csum[n][v]);
  let v = argmaxRow(E), best = E[v], t = n;
  const visits = [];
  // A last visit may be shorter than the dwell (nothing follows it): its first tick s > n - L.
  for (let s = Math.max(1, n - L + 1); s < n; s++) {
    const prev = A[s].map((a, u) => a + csum[s][u]);
    for (let w = 0; w < nv; w++) {
      for (let u = 0; u < nv; u++) {
        if (u === w) continue;
        const score = ((prev[u] - penalty) - csum[s][w]) + csum[n][w];
        if (score > best) { best = score; t = s; v = u; visits.length = 0; visits.push([s, w]); }
      }
    }
  }
  while (t > 0) {
    if (src[t][v] < 0) { t--; continue; }
    visits.push([t - L, v]);
    const u = src[t][v];
    t -= L; v = u;
  }
  visits.push([0, v]); // the opening visit
  return visits.reverse();
}

export const GRID_S = 0.5; // window_segmentation.py: planned mode's switches fall on a grid this fine

/** The grid step in control ticks at `rate` Hz (at least one tick). */
export const gridTicks = (rate, seconds = GRID_S) => Math.max(1, pyRound(seconds * rate));

/** Into `val`/`arg`: for each variant w, the best of `row` over the other variants and which
 * (ties: the lowest index); -Infinity with one variant.  No allocation: it runs per slot and gap. */
function othersOf(row, val, arg) {
  const nv = row.length;
  let i1 = 0;
  for (let u = 1; u < nv; u++) if (row[u] > row[i1]) i1 = u;
  let i2 = -1;
  for (let u = 0; u < nv; u++) if (u !== i1 && (i2 < 0 || row[u] > row[i2])) i2 = u;
  for (let w = 0; w < nv; w++) {
    if (w !== i1) { val[w] = row[i1]; arg[w] = i1; } else { val[w] = i2 < 0 ? -Infinity : row[i2]; arg[w] = i2 < 0 ? 0 : i2; }
  }
}

/** The visits [first tick, variant] maximising the summed gain less `penalty` per switch, opening
 * on `start` (an index or a mask), at most two switch starts in any `window` ticks, every visit
 * between two switches at least `minLen` ticks, switches on multiples of `step` ticks.  A port of
 * composer_assist/playback/window_segmentation.py (there computed a dwell of slots at a time, here
 * one slot at a time: the same additions and maxima). */
export function bestSequenceWindow(gain, start, minLen, window, penalty, step = 5) {
  const n = gain.length, nv = gain[0].length, q = Math.max(1, Math.trunc(step));
  const cs = gainSums(gain);
  const allowed = openingsMask(start, nv);
  const opening = cs[n].map((c, v) => (allowed[v] ? c : -Infinity));
  const slots = Math.trunc((n - 1) / q);
  if (slots < 1 || nv < 2) return [[0, argmaxRow(opening)]];
  const Ls = Math.max(1, Math.ceil(Math.trunc(minLen) / q));
  const Ws = Math.ceil(Math.trunc(window) / q);
  const Cs = Math.max(Ws - Ls, Ls), R = Cs + 1;
  const C = (J) => cs[q * J];
  // per recent slot (ring), variant and g: the max of H over gaps >= g, and the shortest gap there
  const ring = new Float64Array(R * nv * R).fill(-Infinity), ringAt = new Int32Array(R * nv * R);
  const at3 = (j, w, g) => ((j % R) * nv + w) * R + g;
  const top = [new Array(nv).fill(-Infinity)], topJ = [new Array(nv).fill(0)], topG = [new Array(nv).fill(0)];
  // the variant switched from, and its state's gap (-1: the opening): a byte each where they fit
  const backW = new (nv <= 127 ? Int8Array : Int32Array)((slots + 1) * nv * R);
  const backG = new (R <= 127 ? Int8Array : Int32Array)((slots + 1) * nv * R);
  const backJ = new Int32Array((slots + 1) * nv);
  let best = Math.max(...opening), end = null;
  const val = new Float64Array(nv * R), src = new Int32Array(nv * R), srcG = new Int32Array(nv * R);
  const H = new Float64Array(R), row = new Float64Array(nv), ov = new Float64Array(nv), oa = new Int32Array(nv);
  for (let J = 1; J <= slots; J++) {
    const CJ = C(J);
    val.fill(-Infinity); src.fill(0); srcG.fill(-1);
    const srcJ = new Array(nv).fill(0);
    for (let v = 0; v < nv; v++) row[v] = allowed[v] ? CJ[v] : -Infinity;
    othersOf(row, ov, oa);
    for (let w = 0; w < nv; w++) { val[w * R + Cs] = ov[w] - penalty; src[w * R + Cs] = oa[w]; }
    if (J - Cs >= 1) {
      const jb = J - Cs;
      for (let u = 0; u < nv; u++) row[u] = (top[jb][u] + CJ[u]) - penalty;
      othersOf(row, ov, oa);
      for (let w = 0; w < nv; w++) {
        if (ov[w] > val[w * R + Cs]) {
          const u = oa[w];
          val[w * R + Cs] = ov[w]; src[w * R + Cs] = u; srcG[w * R + Cs] = topG[jb][u]; srcJ[w] = topJ[jb][u];
        }
      }
    }
    for (let g = Ls; g < Cs && g < J; g++) {
      const j = J - g, need = Math.min(Math.max(Ws - g, 0), Cs);
      for (let u = 0; u < nv; u++) row[u] = (ring[at3(j, u, need)] + CJ[u]) - penalty;
      othersOf(row, ov, oa);
      for (let w = 0; w < nv; w++) {
        val[w * R + g] = ov[w]; src[w * R + g] = oa[w]; srcG[w * R + g] = ringAt[at3(j, oa[w], need)];
      }
    }
    const tp = top[J - 1].slice(), tj = topJ[J - 1].slice(), tg = topG[J - 1].slice();
    for (let w = 0; w < nv; w++) {
      for (let g = 0; g < R; g++) {
        const k = w * R + g;
        H[g] = val[k] - CJ[w];
        backW[(J * nv + w) * R + g] = src[k]; backG[(J * nv + w) * R + g] = srcG[k];
        const tot = H[g] + cs[n][w];
        if (tot > best) { best = tot; end = [J, w, g]; }
      }
      backJ[J * nv + w] = srcJ[w];
      let acc = -Infinity, arg = 0;
      for (let g = Cs; g >= 0; g--) {
        if (H[g] >= acc) { acc = H[g]; arg = g; }
        ring[at3(J, w, g)] = acc; ringAt[at3(J, w, g)] = arg;
      }
      if (acc > tp[w]) { tp[w] = acc; tj[w] = J; tg[w] = ringAt[at3(J, w, 0)]; }
    }
    top.push(tp); topJ.push(tj); topG.push(tg);
  }
  if (end === null) return [[0, argmaxRow(opening)]];
  let [J, w, g] = end;
  const visits = [];
  for (;;) {
    visits.push([J * q, w]);
    const u = backW[(J * nv + w) * R + g], ug = backG[(J * nv + w) * R + g];
    if (ug < 0) { visits.push([0, u]); return visits.reverse(); }
    [J, w, g] = [g < Cs ? J - g : backJ[J * nv + w], u, ug];
  }
}
