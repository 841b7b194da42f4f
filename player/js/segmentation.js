// Optimal variant sequence for planned mode: a Viterbi segmentation with a minimum visit length.
// A port of composer_assist/playback/segmentation.py with the same float operations in the same
// order (running sums one addition per tick, exact maxima, first index on ties), so the choice is
// the same visit for visit.

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

/** The visits [first tick, variant] maximising the summed gain less `penalty` per switch, opening
 * on `start`, every visit between two switches at least `minLen` ticks long. */
export function bestSequence(gain, start, minLen, penalty) {
  const n = gain.length, nv = gain[0].length, L = Math.max(1, Math.trunc(minLen));
  const csum = gainSums(gain);
  const A = [], src = [];
  for (let t = 0; t <= n; t++) { A.push(new Array(nv).fill(-Infinity)); src.push(new Array(nv).fill(-1)); }
  A[0][start] = 0.0;
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
  return traceBack(A, csum, src, n, nv, start, L, penalty);
}

function traceBack(A, csum, src, n, nv, start, L, penalty) {
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
  visits.push([0, start]);
  return visits.reverse();
}
