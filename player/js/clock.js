// The cue timeline in samples: tempo map, loop wrapping, legal leave boundaries of transition
// rules.  A port of composer_assist/core/timing.py and playback/clock.py: the same arithmetic in
// the same order (and Python's round-half-to-even), so a boundary here is the sample the Python
// runtime switches on.

export const MIN_FADE_S = 0.005; // a shorter fade clicks; "immediate" rules with fade 0 still get it

/** Python's round(): half to even, so sample positions agree with the Python runtime. */
export function pyRound(x) {
  const r = Math.round(x);
  // Math.round rounds .5 up; Python rounds it to the even neighbour.
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Index of the first element >= x in a sorted array (Python's bisect_left). */
export function bisectLeft(a, x) {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (a[mid] < x) lo = mid + 1; else hi = mid; }
  return lo;
}

/** Index after the last element <= x (Python's bisect_right). */
export function bisectRight(a, x) {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (x < a[mid]) hi = mid; else lo = mid + 1; }
  return lo;
}

/** Step tempo changes in quarter-note beats (core.timing.TempoMap). */
export class TempoMap {
  constructor(points) {
    this.points = [...(points && points.length ? points : [{ beat: 0, bpm: 120 }])].sort((a, b) => a.beat - b.beat);
    this.beats = this.points.map((p) => p.beat);
    this.secs = [0];
    for (let i = 1; i < this.points.length; i++) {
      const a = this.points[i - 1], b = this.points[i];
      this.secs.push(this.secs[i - 1] + (b.beat - a.beat) * 60.0 / a.bpm);
    }
  }
  secondsAt(beat) {
    const i = Math.max(0, bisectRight(this.beats, beat) - 1);
    const p = this.points[i];
    return this.secs[i] + (beat - p.beat) * 60.0 / p.bpm;
  }
  beatAt(seconds) {
    const i = Math.max(0, bisectRight(this.secs, seconds) - 1);
    const p = this.points[i];
    return p.beat + (seconds - this.secs[i]) * p.bpm / 60.0;
  }
  sampleAt(beat, sr) { return pyRound(this.secondsAt(beat) * sr); }
}

/** The most specific transition rule for a pair (Cue.rule_for): first of the best specificity. */
export function ruleFor(cue, source, target) {
  let best = DEFAULT_RULE, bestScore = -1;
  for (const r of cue.transitions) {
    if ((r.source !== '*' && r.source !== source) || (r.target !== '*' && r.target !== target)) continue;
    const s = (r.source !== '*') + (r.target !== '*');
    if (s > bestScore) { best = r; bestScore = s; }
  }
  return best;
}

export const DEFAULT_RULE = Object.freeze({
  source: '*', target: '*', leave: 'bar', bars: 1, leave_marker: null, enter: 'same',
  enter_marker: null, fade_beats: 2.0, curve: 'equal_power', stinger: null,
});

/** Sample arithmetic of one cue at one sample rate (playback.clock.CueClock). */
export class CueClock {
  constructor(cue, sr, length) {
    this.cue = cue;
    this.sr = sr;
    this.tempo = cue.tempoMap;
    this.length = length;
    const [lo, hi] = cue.loop;
    this.loopStart = Math.min(this.tempo.sampleAt(lo, sr), length - 1);
    this.loopEnd = Math.min(this.tempo.sampleAt(hi, sr), length);
    if (this.loopEnd <= this.loopStart) this.loopEnd = length;
    this.loopLen = this.loopEnd - this.loopStart;
    this.grids = new Map();
  }

  limit(pos) { return pos < this.loopEnd ? this.loopEnd : this.length; }

  /** [position, passes] d samples after pos. */
  advance(pos, passes, d) {
    const lim = this.limit(pos);
    if (pos + d < lim) return [pos + d, passes];
    d -= lim - pos;
    return [this.loopStart + (d % this.loopLen), passes + 1 + Math.floor(d / this.loopLen)];
  }

  beatOf(pos) { return this.tempo.beatAt(pos / this.sr); }
  sampleOf(beat) { return Math.min(this.tempo.sampleAt(beat, this.sr), this.length); }

  /** Samples a deck at pos takes to play `beats` more beats (tempo map and wraps aware). */
  samplesForBeats(pos, beats) {
    let d = 0, p = pos, left = beats;
    const loopBeats = this.beatOf(this.loopEnd) - this.beatOf(this.loopStart);
    for (;;) {
      const lim = this.limit(p);
      const b0 = this.beatOf(p), bLim = this.beatOf(lim);
      if (b0 + left <= bLim) return d + Math.max(0, this.sampleOf(b0 + left) - p);
      left -= bLim - b0;
      d += lim - p;
      p = this.loopStart;
      if (loopBeats > 0 && left > loopBeats) {
        const n = Math.floor(left / loopBeats);
        left -= n * loopBeats;
        d += n * this.loopLen;
      }
    }
  }

  /** Sorted cue positions where `rule` may leave. */
  grid(rule) {
    const key = `${rule.leave}|${rule.bars}|${rule.leave_marker}`;
    let g = this.grids.get(key);
    if (g) return g;
    const cue = this.cue, m = cue.meter;
    const bpb = m.numerator * 4.0 / m.denominator;
    const set = new Set();
    if (rule.leave === 'beat' || rule.leave === 'bar' || rule.leave === 'bars') {
      const step = { beat: 4.0 / m.denominator, bar: bpb, bars: bpb * Math.max(1, rule.bars) }[rule.leave];
      // np.arange(0, total + 1e-9, step): start + i * step
      const n = Math.ceil((cue.lengthBeats + 1e-9) / step);
      for (let i = 0; i < n; i++) set.add(this.sampleOf(i * step));
    } else if (rule.leave === 'marker') {
      const marks = rule.leave_marker ? cue.markers.filter((k) => k.name === rule.leave_marker) : cue.markers;
      for (const k of marks) set.add(this.sampleOf(k.beat));
      if (!set.size) set.add(this.loopEnd);
    } else if (rule.leave === 'loop_end') {
      set.add(this.loopEnd); set.add(this.length);
    }
    g = [...set].sort((a, b) => a - b);
    this.grids.set(key, g);
    return g;
  }

  /** The first legal leave point at or after a deck position: {delay, pos, passes}. */
  nextBoundary(pos, passes, rule) {
    if (rule.leave === 'immediate') return { delay: 0, pos, passes };
    const grid = this.grid(rule);
    const lim = this.limit(pos);
    const i = bisectLeft(grid, pos);
    let d;
    if (i < grid.length && grid[i] <= lim) d = grid[i] - pos;
    else {
      const j = bisectLeft(grid, this.loopStart);
      const g = j < grid.length && grid[j] <= this.loopEnd ? grid[j] : this.loopStart;
      d = (lim - pos) + (g - this.loopStart);
    }
    const [np, npasses] = this.advance(pos, passes, d);
    return { delay: d, pos: np, passes: npasses };
  }

  /** Where the destination deck starts: [cue position, passes]. */
  entry(rule, leavePos, leavePasses) {
    if (rule.enter === 'start') return [0, 0];
    if (rule.enter === 'marker' && rule.enter_marker) {
      const mk = this.cue.markers.find((k) => k.name === rule.enter_marker);
      return [Math.min(this.sampleOf(mk.beat), this.length - 1), 0];
    }
    return [leavePos, leavePasses];
  }

  fadeSamples(rule, pos) {
    const beat = this.beatOf(pos);
    const secs = this.tempo.secondsAt(beat + rule.fade_beats) - this.tempo.secondsAt(beat);
    return Math.max(pyRound(secs * this.sr), pyRound(MIN_FADE_S * this.sr));
  }
}
