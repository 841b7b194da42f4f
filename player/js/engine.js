// The engine: the mixer plus whatever steers it, block by block (playback.player.Player's
// render_block).  Three modes, switched with one call while playing:
//   sensed  the live policy and scheduler fed a viewer's emotion (a trace as it arrives, or the
//           valence/arousal pad), one control tick at a time, each tick knowing only the past;
//   scene   planned mode on the title's scene emotion curve (the whole curve known ahead);
//   off     the composer's default variant at its nominal intensity, no adaptation.
// Everything runs on the device: the engine reads the package and the viewer's input only.

import { pyRound, ruleFor } from './clock.js';
import { INTENSITY, Mixer, intensityEvent, switchEvent } from './mixer.js';
import { schedulePlanned } from './planned.js';
import { LivePolicy, TraceFeed, configOf, liveTrack, plannedTrack } from './policy.js';
import { LiveScheduler, Playhead, intensityAt, playheadAt, scheduleLive } from './schedule.js';

export const MODES = ['sensed', 'scene', 'off'];

/** Mixer commands of a schedule in time order, those after sample `after`. */
export function scheduleEvents(sched, stems, after = -1) {
  const ev = sched.intensity.filter(([s]) => s > after).map(([s, v]) => intensityEvent(s, v));
  for (const sw of sched.switches) if (sw.sample > after) ev.push(switchEvent(sw, stems));
  return ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The schedule of a whole trace: live (sensed) or planned (scene), as the Python runtime makes it. */
export function scheduleFor(stems, trace, mode, profile = null, config = null) {
  const cue = stems.cue;
  config = config || configOf(cue);
  if (mode === 'scene' || mode === 'planned') return schedulePlanned(cue, stems.clock, plannedTrack(trace, cue, profile, config));
  return scheduleLive(cue, stems.clock, liveTrack(trace, cue, profile, config));
}

export class Engine {
  constructor(stems, { block = 512, defaultVariant = 0, profile = null, config = null } = {}) {
    this.stems = stems; this.cue = stems.cue; this.sr = stems.sampleRate;
    this.mixer = new Mixer(stems, block);
    this.rate = this.cue.adaptive.control_rate;
    this.defaultVariant = defaultVariant; this.profile = profile; this.config = config || configOf(this.cue);
    this.mode = 'off'; this.ctl = null; this.plan = null; this.k = 0;
    this.trace = null; this.scene = null; this.pad = null; this.dry = false;
  }

  tickSample(k) { return pyRound(k / this.rate * this.sr); }

  /** Start over at sample 0 in `mode` (`trace`: the sensed trace; `scene`: the scene curve). */
  begin(mode, { trace = null, scene = null } = {}) {
    this.trace = trace; this.scene = scene; this.mode = mode;
    const nominal = this.nominal(this.defaultVariant);
    this.mixer.reset(0, this.defaultVariant, nominal, 0, 0);
    this.ctl = null;
    if (mode === 'sensed') this.takeLiveControl(true);
    else if (mode === 'scene') this.followPlan(true);
  }

  nominal(v) { const [lo, hi] = this.cue.variants[v].intensity; return 0.5 * (lo + hi); }

  /** Switch mode while playing: the music carries on from where it is. */
  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.dropQueued();
    this.ctl = null;
    if (mode === 'sensed') this.takeLiveControl(false);
    else if (mode === 'scene') this.followPlan(false);
    else this.goTo(this.defaultVariant, -1, 0, this.nominal(this.defaultVariant));
  }

  /** A listener cluster's profile (null: none) from now on: live control takes it at the next
   * tick; scene-curve mode plans again and carries on from where the music is. */
  setProfile(profile) {
    this.profile = profile;
    if (this.ctl) this.ctl.policy.profile = profile;
    else if (this.mode === 'scene') { this.dropQueued(); this.followPlan(false); }
  }

  /** The viewer's pad: [valence, arousal] replaces the trace until released (null). */
  setPad(va) { this.pad = va; }

  dropQueued() { this.mixer.events = this.mixer.events.slice(0, this.mixer.evI); this.mixer.loadEvents([]); }

  takeLiveControl(atStart) {
    const t = this.mixer.t;
    const policy = new LivePolicy(this.cue, this.profile, this.config);
    const feed = this.trace ? new TraceFeed(this.trace) : null;
    if (feed && !atStart) feed.i = Math.max(-1, feed.rel.filter((x) => x <= t / this.sr).length - 1);
    this.ctl = { policy, feed, last: null, scheduler: null };
    this.k = atStart ? 0 : Math.ceil(t * this.rate / this.sr);
    const first = this.emotion(this.k / this.rate);
    const sched = new LiveScheduler(this.cue, this.stems.clock, first);
    if (atStart) this.mixer.reset(0, sched.schedule.startVariant, first.intensity, 0, 0);
    else { const [pos, passes] = this.mixer.position(); sched.resume(t, this.mixer.playing, pos, passes); }
    this.ctl.scheduler = sched;
    this.k += 1;
  }

  followPlan(atStart) {
    const curve = this.scene || this.trace;
    if (!curve) throw new Error('scene-curve mode needs a scene emotion curve (the package has none)');
    this.plan = scheduleFor(this.stems, curve, 'scene', this.profile, this.config);
    const t = this.mixer.t;
    if (atStart) {
      this.mixer.reset(0, this.plan.startVariant, this.plan.startIntensity, 0, 0);
      this.mixer.loadEvents(scheduleEvents(this.plan, this.stems));
      return;
    }
    const [v, pos, passes] = playheadAt(this.plan, this.stems.clock, t);
    this.goTo(v, pos, passes, intensityAt(this.plan, t));
    this.mixer.loadEvents(scheduleEvents(this.plan, this.stems, t));
  }

  /** Crossfade to variant v (at cue position pos, or the same position when pos < 0) by its rule. */
  goTo(v, pos, passes, intensity) {
    const mx = this.mixer, t = mx.t, from = mx.playing;
    mx.schedule(intensityEvent(t, intensity));
    if (v === from && pos < 0) return;
    const rule = ruleFor(this.cue, this.cue.variants[from].name, this.cue.variants[v].name);
    const head = new Playhead(this.stems.clock);
    [head.pos, head.passes] = mx.position(); head.anchor = t;
    const [b, lpos, lpasses] = pos < 0 ? head.boundary(t, rule) : [t, pos, passes];
    const [epos, epasses] = pos < 0 ? this.stems.clock.entry(rule, lpos, lpasses) : [pos, passes];
    const sw = { sample: b, target: v, enterPos: epos, enterPasses: epasses, rule,
      fade: this.stems.clock.fadeSamples(rule, lpos) };
    mx.schedule(switchEvent(sw, this.stems));
  }

  /** Step the live policy at audio time t with the pad, else the trace, else neutral. */
  emotion(t) {
    const { policy, feed } = this.ctl;
    const over = this.pad ? { valence: this.pad[0], arousal: this.pad[1] } : {};
    const tick = feed ? feed.tick(policy, t, over) : policy.step(t, over.valence ?? 0, over.arousal ?? 0, null, null);
    this.ctl.last = tick;
    return tick;
  }

  step(k) {
    const tick = this.emotion(k / this.rate);
    const d = this.ctl.scheduler.step(tick);
    if (d.cancel) this.mixer.unschedule(switchEvent(d.cancel, this.stems));
    if (d.switch) this.mixer.schedule(switchEvent(d.switch, this.stems));
    if (d.intensity !== null && d.intensity !== undefined) this.mixer.schedule(intensityEvent(this.tickSample(k), d.intensity));
  }

  /** Fill `out` (interleaved stereo, at most one block) with the next frames. */
  render(out) {
    if (this.ctl) {
      const end = this.mixer.t + (out.length >> 1);
      while (this.tickSample(this.k) < end) { this.step(this.k); this.k += 1; }
    }
    if (this.dry) this.mixer.t += out.length >> 1; // decisions only (see CuePlayer.decisions)
    else this.mixer.process(out);
  }

  /** What the screen shows. */
  status() {
    const mx = this.mixer, [pos] = mx.position(), names = this.stems.variantNames;
    const pending = this.ctl ? this.ctl.scheduler.pending
      : (mx.events.slice(mx.evI).find((e) => e[1] !== INTENSITY) || null);
    const target = pending ? (pending.target ?? pending[2]) : null;
    const last = this.ctl ? this.ctl.last : null;
    return { mode: this.mode, sample: mx.t, cueSample: pos, variant: names[mx.playing] ?? null,
      target: target !== null ? names[target] : null, intensity: mx.iCur,
      valence: last ? last.smoothValence : null, arousal: last ? last.smoothArousal : null };
  }
}

/**
 * The decisions the engine makes over `seconds` of `mode` (default: the followed curve's span), in
 * the shared test vector's form (runtime.decisions_vector): start, switches, intensity targets.
 * The engine runs dry: its clock and control ticks advance block by block, nothing is mixed.
 */
export function decisionsVector(stems, { mode = 'sensed', trace = null, scene = null, profile = null,
  defaultVariant = 0, block = 512, seconds = null } = {}) {
  const curve = mode === 'scene' ? (scene || trace) : trace;
  const span = seconds ?? (curve ? curve.times[curve.times.length - 1] - curve.times[0] : 0);
  const engine = new Engine(stems, { block, defaultVariant, profile });
  engine.dry = true;
  engine.begin(mode, { trace, scene });
  const frames = Math.max(1, pyRound(span * stems.sampleRate)), buf = new Float32Array(2 * block);
  for (let i = 0; i < frames; i += block) engine.render(buf.subarray(0, 2 * Math.min(block, frames - i)));
  const off = { startVariant: engine.defaultVariant, startIntensity: engine.nominal(engine.defaultVariant),
    switches: [], intensity: [] };
  const s = engine.ctl ? engine.ctl.scheduler.schedule : (engine.plan || off), names = stems.variantNames;
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  const out = [{ kind: 'start', sample: 0, variant: names[s.startVariant], intensity: r6(s.startIntensity) }];
  for (const w of s.switches) {
    out.push({ kind: 'switch', sample: w.sample, from: names[w.source], to: names[w.target], fade_samples: w.fade,
      leave_sample: w.leavePos, enter_sample: w.enterPos, decided_at: r6(w.decidedAt) });
  }
  for (const [sample, v] of s.intensity) out.push({ kind: 'intensity', sample, target: r6(v) });
  const rank = (e) => (e.kind === 'start' ? 0 : 1);
  return out.sort((a, b) => a.sample - b.sample || rank(a) - rank(b) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}
