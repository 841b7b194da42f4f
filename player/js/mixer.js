// Block mixer over pre-rendered stems: variant decks, crossfades, layer gains by intensity,
// stingers, loop wraps.  A port of composer_assist/playback/mixer.py: blocks are split at event
// samples, fade ends and loop wraps; while a gain moves it ramps linearly from its value at the
// sub-block start to its value at the sub-block end, exactly as the Python mixer does, so the
// same block size gives the same samples (to float32 rounding).

import { LUT_STEPS } from './stems.js';
import { CURVE_IDS, fadeIn, fadeOut } from './curves.js';
import { NO_TRIM, guardEnd, nextKnot, transitionGains, trimGainAt, trimLast } from './levelTrim.js';

export const SWITCH = 0, INTENSITY = 1;
const POOL_DECKS = 6;
const FAR = 2 ** 62;
const f32 = Math.fround;

/** The mixer command that performs a scheduled switch (schedule.switch_event). */
export function switchEvent(sw, stems) {
  const st = sw.rule.stinger ? stems.stingerNames.indexOf(sw.rule.stinger) : -1;
  return [sw.sample, SWITCH, sw.target, sw.enterPos, sw.enterPasses, sw.fade, CURVE_IDS[sw.rule.curve], st];
}

export const intensityEvent = (sample, value) => [sample, INTENSITY, value];

const cmpEvent = (a, b) => { // Python tuple order
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
};

export class Mixer {
  constructor(stems, block = 512) {
    this.stems = stems; this.sr = stems.sampleRate; this.block = block; this.clock = stems.clock;
    this.slewPerSample = stems.cue.adaptive.intensity_slew / this.sr;
    this.decks = []; this.voices = [];
    this.events = []; this.evI = 0; this.nextEv = FAR;
    this.t = 0; this.iCur = 0.0; this.iTarget = 0.0;
  }

  start(variant, intensity, pos = 0, passes = 0) {
    this.iCur = this.iTarget = intensity;
    this.addDeck(variant, pos, passes, 0, 0);
  }

  schedule(ev) {
    let i = this.evI;
    while (i < this.events.length && cmpEvent(this.events[i], ev) <= 0) i++;
    this.events.splice(i, 0, ev);
    this.nextEv = this.events[this.evI][0];
  }

  unschedule(ev) {
    for (let i = this.evI; i < this.events.length; i++) {
      if (cmpEvent(this.events[i], ev) === 0) {
        this.events.splice(i, 1);
        this.nextEv = this.evI < this.events.length ? this.events[this.evI][0] : FAR;
        return true;
      }
    }
    return false;
  }

  reset(t, variant, intensity, pos, passes = 0) {
    this.decks = []; this.voices = []; this.events = []; this.evI = 0; this.nextEv = FAR;
    this.t = t;
    this.start(variant, intensity, pos, passes);
  }

  loadEvents(events) {
    this.events = this.events.slice(this.evI).concat(events).sort(cmpEvent);
    this.evI = 0;
    this.nextEv = this.events.length ? this.events[0][0] : FAR;
  }

  /** The variant that is (or is becoming) current, -1 when silent. */
  get playing() {
    for (let i = this.decks.length - 1; i >= 0; i--) if (this.decks[i].fading >= 0) return this.decks[i].v;
    return -1;
  }

  position() {
    for (let i = this.decks.length - 1; i >= 0; i--) {
      const d = this.decks[i];
      if (d.fading >= 0) return [d.pos, d.passes];
    }
    return [0, 0];
  }

  locate(d) {
    const st = this.stems, cl = this.clock;
    d.wrapAt = cl.limit(d.pos);
    if (d.passes >= 1 && cl.loopStart <= d.pos && d.pos < cl.loopStart + st.seam) {
      d.src = st.seams[d.v]; d.srcOff = cl.loopStart; d.lim = cl.loopStart + st.seam;
    } else {
      d.src = st.stacks[d.v]; d.srcOff = 0; d.lim = d.wrapAt;
    }
  }

  addDeck(v, pos, passes, fadeLen, curve, trim = NO_TRIM) {
    if (this.decks.length >= POOL_DECKS) {
      // More overlapping fades than decks: drop the quietest fading-out one (never raise).
      const fading = this.decks.filter((y) => y.fading < 0);
      const pool = fading.length ? fading : this.decks.slice(0, -1);
      const drop = pool.reduce((a, b) => (b.env < a.env ? b : a));
      this.decks = this.decks.filter((y) => y !== drop);
    }
    const n = this.stems.layerNames[v].length;
    const d = { v, pos, passes, lut: this.stems.luts[v], n, g: new Float32Array(n), g1: new Float32Array(n),
      dg: new Float32Array(n), env: 0.0, env0: 1.0, fading: 0, fadeStart: 0, fadeLen: 0, curve, k: 0,
      trim, tg: trimGainAt(trim, this.t) };
    this.locate(d);
    d.k = Math.trunc(this.iCur * LUT_STEPS + 0.5);
    if (fadeLen <= 0) {
      d.fading = 0; d.env = 1.0;
      for (let l = 0; l < n; l++) d.g[l] = f32(d.lut[d.k * n + l] * f32(d.tg));
    } else {
      Object.assign(d, { fading: 1, fadeStart: this.t, fadeLen, curve, env: 0.0, env0: 1.0, k: -1 });
    }
    this.decks.push(d);
  }

  apply(ev) {
    if (ev[1] === INTENSITY) { this.iTarget = Math.min(1.0, Math.max(0.0, ev[2])); return; }
    let [, , v, enterPos, enterPasses, fadeLen, curve, stinger] = ev;
    let main = null;
    for (const d of this.decks) {
      if (d.fading >= 0) {
        main = d;
        Object.assign(d, { fading: -1, fadeStart: this.t, fadeLen: Math.max(1, fadeLen), curve, env0: d.env, k: -1 });
      }
    }
    if (enterPos < 0) [enterPos, enterPasses] = main ? [main.pos, main.passes] : [0, 0];
    const [trim, shot] = transitionGains(this.stems, this.t, fadeLen, main ? [main.v, main.pos, main.passes] : null,
      main ? main.trim : NO_TRIM, [v, enterPos, enterPasses], this.iCur, curve, main ? main.env0 : 1.0, stinger);
    this.addDeck(v, enterPos, enterPasses, fadeLen, curve, trim);
    if (stinger >= 0) this.voices.push({ data: this.stems.stingers[stinger], p: 0, shot });
  }

  /** Fill `out` (interleaved stereo Float32Array of at most 2 * block values) with the next frames. */
  process(out) {
    const n = out.length >> 1, blk = this.block;
    if (n > blk) throw new Error(`process() got ${n} frames, more than the block of ${blk}`);
    let done = 0, t = this.t;
    while (done < n) {
      while (this.nextEv <= t) {
        this.t = t; // events start their fades at this exact sample
        this.apply(this.events[this.evI]);
        this.evI += 1;
        this.nextEv = this.evI < this.events.length ? this.events[this.evI][0] : FAR;
      }
      let m = Math.min(n - done, this.nextEv - t);
      for (const d of this.decks) {
        m = Math.min(m, d.lim - d.pos);
        if (d.fading) m = Math.min(m, d.fadeStart + d.fadeLen - t);
        if (d.trim.guard && t < guardEnd(d.trim)) m = Math.min(m, nextKnot(d.trim, t) - t); // the guard bends there
      }
      for (const vc of this.voices) {
        m = Math.min(m, (vc.data.length >> 1) - vc.p);
        if (t < guardEnd(vc.shot)) m = Math.min(m, nextKnot(vc.shot, t) - t); // its gain bends there
      }
      let iEnd = this.iCur;
      if (iEnd !== this.iTarget) {
        const step = this.slewPerSample * m;
        if (Math.abs(this.iTarget - iEnd) <= step) iEnd = this.iTarget;
        else iEnd += this.iTarget > iEnd ? step : -step;
      }
      const kEnd = Math.trunc(iEnd * LUT_STEPS + 0.5);
      this.mixSub(out, 2 * done, m, t, kEnd, blk);
      t += m; done += m; this.iCur = iEnd;
      // Finished fades: a faded-in deck becomes steady, a faded-out one stops.
      this.decks = this.decks.filter((d) => {
        if (!d.fading || t < d.fadeStart + d.fadeLen) return true;
        if (d.fading < 0) return false;
        d.fading = 0;
        return true;
      });
    }
    this.t = t;
    return out;
  }

  /** One sub-block of m frames at out[a..]: every deck's layers at ramping gains, then stingers. */
  mixSub(out, a, m, t, kEnd, blk) {
    out.fill(0, a, a + 2 * m);
    for (const d of this.decks) {
      const tg = t < trimLast(d.trim) ? trimGainAt(d.trim, t + m) : 1.0;
      const moving = d.fading !== 0 || d.k !== kEnd || tg !== d.tg;
      let env = 1.0;
      if (moving) {
        if (d.fading) {
          const u = (t + m - d.fadeStart) / d.fadeLen;
          env = d.fading > 0 ? fadeIn(d.curve, u) : d.env0 * fadeOut(d.curve, u);
        }
        const row = d.lut.subarray(kEnd * d.n, kEnd * d.n + d.n);
        const w = env * tg;
        for (let l = 0; l < d.n; l++) {
          d.g1[l] = w === 1.0 ? row[l] : f32(row[l] * f32(w));
          d.dg[l] = f32(f32(d.g1[l] - d.g[l]) * f32(blk / m));
        }
      }
      const o = 2 * (d.pos - d.srcOff);
      for (let l = 0; l < d.n; l++) {
        const src = d.src[l], g = d.g[l], dg = moving ? d.dg[l] : 0;
        for (let j = 0; j < m; j++) {
          const gain = moving ? g + f32(j / blk) * dg : g;
          out[a + 2 * j] += src[o + 2 * j] * gain;
          out[a + 2 * j + 1] += src[o + 2 * j + 1] * gain;
        }
      }
      if (moving) { const tmp = d.g; d.g = d.g1; d.g1 = tmp; d.k = kEnd; d.env = env; d.tg = tg; }
      d.pos += m;
      if (d.pos === d.lim) {
        if (d.pos === d.wrapAt) { d.pos = this.clock.loopStart; d.passes += 1; }
        this.locate(d);
      }
    }
    for (const vc of this.voices) {
      const o = 2 * vc.p;
      if (t < guardEnd(vc.shot)) { // the peak guard holds the stinger under what the decks leave
        const h0 = trimGainAt(vc.shot, t), h1 = trimGainAt(vc.shot, t + m), g0 = f32(h0);
        for (let j = 0; j < 2 * m; j++) out[a + j] += f32(vc.data[o + j] * g0);
        if (h1 !== h0) {
          const c = f32((h1 - h0) * blk / m);
          for (let j = 0; j < 2 * m; j++) out[a + j] += f32(f32(vc.data[o + j] * f32((j >> 1) / blk)) * c);
        }
      } else {
        for (let j = 0; j < 2 * m; j++) out[a + j] += vc.data[o + j];
      }
      vc.p += m;
    }
    this.voices = this.voices.filter((vc) => 2 * vc.p < vc.data.length);
  }

  /** Render `frames` into a new interleaved Float32Array, block by block. */
  render(frames) {
    const total = new Float32Array(2 * frames);
    for (let i = 0; i < frames; i += this.block) {
      this.process(total.subarray(2 * i, 2 * Math.min(frames, i + this.block)));
    }
    return total;
  }
}
