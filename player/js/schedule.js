// Schedules: sample-stamped switches and intensity targets for the mixer, and the live scheduler
// (hysteresis, dwell, quantisation to the transition rule's boundary, retarget and cancel; a
// switch waits until the trace as read has stayed near its target for `confirm`, or has been away
// from the playing variant that long and near the target for `settle`, and is re-checked at the
// last tick before its boundary, so a short blip never makes a switch and a return; the switch
// budget defers a live switch until 60 / N s after the last one started, or, kept as its window
// (N <= 2), until the window allows it and the trace as read has stayed near the new variant a
// dwell, whichever is first (a return keeps the spacing); a manual override is exempt; planned
// mode keeps the window, planned.js).
// A port of composer_assist/playback/schedule.py and scheduler.py; the log keeps the decision
// kinds and variants, not the Python log's sentences.

import { pyRound, ruleFor } from './clock.js';

export const INTENSITY_EPS = 0.002; // smaller target changes are not sent to the mixer
// How long the trace as read must stay nearest a new variant before the music leaves for it, as a
// share of the dwell.
export const CONFIRM_SHARE_OF_DWELL = 0.5;
// Once the trace as read has been away from the playing variant for the confirmation, a target it
// has been near for this long (s) may be left for: a move through one variant is confirmed once.
export const SETTLE_S = 0.5;
const FAR_PAST = -(2 ** 40);
const NOT_NEAR = Number.MAX_SAFE_INTEGER; // a variant the trace as read is not near now

export const argmin = (row) => row.reduce((best, x, i) => (x < row[best] ? i : best), 0);

/** The position of the main variant as a function of the sample clock. */
export class Playhead {
  constructor(clock) { this.clock = clock; this.anchor = 0; this.pos = 0; this.passes = 0; }
  at(sample) { return this.clock.advance(this.pos, this.passes, sample - this.anchor); }
  boundary(earliest, rule) {
    const [pos, passes] = this.at(earliest);
    const b = this.clock.nextBoundary(pos, passes, rule);
    return [earliest + b.delay, b.pos, b.passes];
  }
  move(sw) { this.anchor = sw.sample; this.pos = sw.enterPos; this.passes = sw.enterPasses; }
}

export const beatsPerBar = (cue) => cue.meter.numerator * 4.0 / cue.meter.denominator;

/** The dwell at the cue's opening tempo, in samples. */
export function dwellSamples(cue, sr) {
  return pyRound(cue.tempoMap.secondsAt(cue.adaptive.dwell_bars * beatsPerBar(cue)) * sr);
}

/** The switch budget N of a cue (0: none): at most N switch starts in any 60 s (playback/budget.py). */
export const budgetOf = (cue) => cue.adaptive.max_switches_per_minute || 0;
export const BUDGET_WINDOW_S = 60.0;

/** The least number of samples between two switch starts (0: no budget). */
export function budgetSpacingSamples(cue, sr) {
  const n = budgetOf(cue);
  return n <= 0 ? 0 : Math.ceil(pyRound(BUDGET_WINDOW_S * sr) / n);
}

/** Whether the budget is kept as the window itself (N = 1 or 2). */
export const keepsWindow = (cue) => budgetOf(cue) === 1 || budgetOf(cue) === 2;

/** The first sample the next switch may start on by the budget after the starts so far: with
 * `window`, N starts back plus 60 s; else the last start plus the spacing. */
export function nextStartAllowed(starts, cue, sr, window) {
  const n = budgetOf(cue);
  if (n <= 0 || !starts.length) return FAR_PAST;
  if (window) return starts.length >= n ? starts[starts.length - n] + pyRound(BUDGET_WINDOW_S * sr) : FAR_PAST;
  return starts[starts.length - 1] + budgetSpacingSamples(cue, sr);
}

/** The first sample a switch after `sw` may leave: dwell_bars of music since its boundary. */
export function dwellEnd(cue, clock, sw) {
  return sw.sample + clock.samplesForBeats(sw.enterPos, cue.adaptive.dwell_bars * beatsPerBar(cue));
}

/** Shared bookkeeping of both modes: the schedule, its log, the playhead. */
export class Builder {
  constructor(cue, clock, mode, first) {
    this.cue = cue; this.clock = clock; this.sr = clock.sr;
    this.names = cue.variants.map((v) => v.name);
    this.head = new Playhead(clock);
    // The variant nearest the trace's opening as read (a zero-phase view mixes in what follows).
    const start = argmin(first.rawScores || first.scores);
    this.sched = { mode, sampleRate: this.sr, startVariant: start, startIntensity: first.intensity,
      switches: [], intensity: [], log: [] };
    this.entry(first, 'start', { to: start });
  }
  entry(tick, kind, extra = {}) {
    const e = { time: tick.time, kind };
    for (const k of ['from', 'to']) if (k in extra) e[k] = this.names[extra[k]];
    if ('sample' in extra) e.sample = extra.sample;
    this.sched.log.push(e);
  }
  planSwitch(earliest, source, target, decidedAt, changeAt = null) {
    const rule = ruleFor(this.cue, this.names[source], this.names[target]);
    const [b, pos, passes] = this.head.boundary(earliest, rule);
    const [enterPos, enterPasses] = this.clock.entry(rule, pos, passes);
    return { sample: b, fade: this.clock.fadeSamples(rule, pos), source, target, rule, leavePos: pos,
      enterPos, enterPasses, decidedAt, changeAt, get arrival() { return this.sample + this.fade; } };
  }
}

/** Intensity targets for the mixer, sent when they moved by INTENSITY_EPS. */
export class IntensityTargets {
  constructor(bld, first) { this.bld = bld; this.last = first; }
  step(tick) {
    const x = tick.intensity;
    if (Math.abs(x - this.last) < INTENSITY_EPS) return null;
    this.bld.sched.intensity.push([pyRound(tick.time * this.bld.sr), x]);
    this.last = x;
    return x;
  }
}

/** Causal scheduling, one control tick at a time (each tick knows only the past). */
export class LiveScheduler {
  constructor(cue, clock, first, startVariant = null) {
    this.bld = new Builder(cue, clock, 'live', first);
    if (startVariant !== null) this.bld.sched.startVariant = startVariant;
    this.cue = cue; this.clock = clock; this.sr = clock.sr;
    this.hyst = cue.adaptive.hysteresis;
    this.tickS = 1.0 / cue.adaptive.control_rate;
    this.confirm = pyRound(CONFIRM_SHARE_OF_DWELL * dwellSamples(cue, clock.sr));
    this.settle = pyRound(SETTLE_S * clock.sr);
    // Per variant, the sample since which the trace as read has been near it, NOT_NEAR while not;
    // and since which it has been away from it, NOT_NEAR while near.
    this.nearSince = cue.variants.map(() => NOT_NEAR);
    this.awaySince = cue.variants.map(() => NOT_NEAR);
    this.near(first, 0);
    this.playing = this.bld.sched.startVariant;
    this.heldUntil = FAR_PAST; this.fadeEnd = 0;
    this.spacing = budgetSpacingSamples(cue, clock.sr); this.budgetUntil = FAR_PAST;
    this.window = this.spacing > 0 && keepsWindow(cue); this.dwell = dwellSamples(cue, clock.sr);
    this.starts = []; this.left = -1; this.override = false; // the window's memory; the variant last left
    this.pending = null; this.hold = null;
    this.targets = new IntensityTargets(this.bld, first.intensity);
  }
  get schedule() { return this.bld.sched; }

  /** Carry on from `sample` where `variant` plays at `pos` (a seek, a change of mode). */
  resume(sample, variant, pos, passes) {
    this.playing = variant; this.pending = null; this.hold = null;
    this.heldUntil = FAR_PAST; this.fadeEnd = 0; this.budgetUntil = FAR_PAST;
    this.starts = []; this.left = -1;
    Object.assign(this.bld.head, { anchor: sample, pos, passes });
  }

  /** Decide at `tick`: {switch, cancel, intensity} for the mixer. */
  step(tick) {
    const s = pyRound(tick.time * this.sr);
    const p = this.pending;
    if (p !== null && p.sample <= s) {
      this.playing = p.target; this.heldUntil = dwellEnd(this.cue, this.clock, p); this.fadeEnd = p.arrival;
      this.budgetUntil = p.sample + this.spacing;
      this.starts.push(p.sample); this.left = p.source;
      this.bld.head.move(p);
      this.pending = null;
    }
    this.near(tick, s);
    let out = this.decide(tick, s);
    const pending = this.pending;
    if (pending !== null && !out.switch && pending.sample <= pyRound((tick.time + this.tickS) * this.sr)) {
      out = this.recheck(tick, pending); // the last tick before its boundary
    }
    out.intensity = this.targets.step(tick);
    return out;
  }

  /** Update the runs in which the trace as read is near (within half the hysteresis of) each variant. */
  near(tick, s) {
    const raw = tick.rawScores || tick.scores, lim = Math.min(...raw) + 0.5 * this.hyst;
    raw.forEach((x, i) => {
      if (x > lim) {
        this.nearSince[i] = NOT_NEAR;
        if (this.awaySince[i] === NOT_NEAR) this.awaySince[i] = s;
      } else {
        if (this.nearSince[i] === NOT_NEAR) this.nearSince[i] = tick.jump ? FAR_PAST : s; // an override needs no confirming
        this.awaySince[i] = NOT_NEAR;
      }
    });
  }

  /** The first sample a switch to `target` may start on by the budget (scheduler.py _budget_start). */
  budgetStart(target) {
    if (!this.window) return this.budgetUntil;
    const window = nextStartAllowed(this.starts, this.cue, this.sr, true);
    if (target === this.left) return Math.max(window, this.budgetUntil); // a return keeps the spacing too
    const since = this.nearSince[target];
    return Math.max(window, since === NOT_NEAR ? this.budgetUntil : Math.min(this.budgetUntil, since + this.dwell));
  }

  /** The first sample a switch to `target` may leave on, or null when the trace is not near it now:
   * near it for `confirm`, or near it for `settle` once away from the playing variant for `confirm`. */
  ready(target) {
    const since = this.nearSince[target];
    if (since === NOT_NEAR) return null;
    const left = this.awaySince[this.playing];
    if (left === NOT_NEAR) return since + this.confirm;
    return Math.min(since + this.confirm, Math.max(left + this.confirm, since + this.settle));
  }

  /** A pending switch at its boundary: cancelled if the trace as read has left its target, moved
   * to a later boundary if it has not been near it for `confirm`. */
  recheck(tick, p) {
    const ready = this.ready(p.target), sched = this.schedule;
    const budget = this.override ? FAR_PAST : this.budgetStart(p.target);
    if (ready !== null && ready <= p.sample && budget <= p.sample) return {};
    if (ready === null) {
      this.bld.entry(tick, 'cancel', { from: this.playing, to: p.target });
      sched.switches = sched.switches.filter((x) => x !== p);
      this.pending = null;
      return { cancel: p };
    }
    const sw = this.bld.planSwitch(Math.max(ready, budget, p.sample + 1), this.playing, p.target, tick.time);
    this.bld.entry(tick, 'retarget', { from: this.playing, to: p.target, sample: sw.sample });
    this.pending = sw;
    sched.switches = sched.switches.filter((x) => x !== p).concat([sw]);
    return { switch: sw, cancel: p };
  }

  decide(tick, s) {
    const { bld, pending, playing } = this;
    const row = tick.scores;
    const cur = pending !== null ? pending.target : playing;
    const best = argmin(row);
    if (best === cur) { this.hold = null; return {}; }
    const margin = row[cur] - row[best];
    if (margin < this.hyst) {
      if (this.hold !== `h${best}`) { bld.entry(tick, 'hold', { from: cur, to: best }); this.hold = `h${best}`; }
      return {};
    }
    this.hold = null;
    const sched = this.schedule;
    if (pending !== null && best === playing) {
      bld.entry(tick, 'cancel', { from: playing, to: pending.target });
      sched.switches = sched.switches.filter((x) => x !== pending);
      this.pending = null;
      return { cancel: pending };
    }
    const ready = this.ready(best);
    if (ready === null) { // the smoothing still leans to it; the trace itself has left it
      if (this.hold !== `c${best}`) { bld.entry(tick, 'hold', { from: cur, to: best }); this.hold = `c${best}`; }
      return {};
    }
    // A manual override is exempt from the budget.
    const budget = tick.jump ? s : this.budgetStart(best);
    this.override = Boolean(tick.jump);
    const earliest = Math.max(s, this.heldUntil, this.fadeEnd, ready, budget);
    const sw = bld.planSwitch(earliest, playing, best, tick.time);
    bld.entry(tick, pending !== null ? 'retarget' : 'switch', { from: playing, to: best, sample: sw.sample });
    this.pending = sw;
    sched.switches = sched.switches.filter((x) => x !== pending).concat([sw]);
    return { switch: sw, cancel: pending };
  }
}

/** Causal scheduling over a whole track of policy ticks. */
export function scheduleLive(cue, clock, track) {
  const live = new LiveScheduler(cue, clock, track[0]);
  for (let k = 1; k < track.length; k++) live.step(track[k]);
  return live.schedule;
}

/** [variant, cue position, passes] a schedule plays at `sample`. */
export function playheadAt(sched, clock, sample) {
  const head = new Playhead(clock);
  let variant = sched.startVariant;
  for (const sw of sched.switches) {
    if (sw.sample > sample) break;
    head.move(sw); variant = sw.target;
  }
  const [pos, passes] = head.at(sample);
  return [variant, pos, passes];
}

export function intensityAt(sched, sample) {
  let value = sched.startIntensity;
  for (const [s, v] of sched.intensity) { if (s > sample) break; value = v; }
  return value;
}
