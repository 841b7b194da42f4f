// The AudioWorklet processor: the engine on the audio thread.  The main thread sends the
// decoded stems once, then the mode, the pad and the trace; the processor mixes whole engine
// blocks (the Python runtime's block size, so both split their gain ramps alike) and hands them
// out 128 frames at a time, posting what the screen shows a few times a second.

import { Engine } from './engine.js';
import { stemSetOf } from './package.js';

const STATUS_EVERY = 16; // render quanta (128 frames) between status messages: ~23 Hz at 48 kHz

class CuePlayerProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.engine = null; this.buf = null; this.avail = 0; this.quanta = 0;
    this.port.onmessage = (e) => this.command(e.data);
  }

  command(msg) {
    if (msg.type === 'init') {
      const stems = stemSetOf(msg.manifest, msg.decoded);
      this.engine = new Engine(stems, msg.options);
      this.engine.begin(msg.options.mode, { trace: msg.options.trace, scene: msg.options.scene });
      this.buf = new Float32Array(2 * this.engine.mixer.block);
      this.avail = 0;
      this.port.postMessage({ type: 'ready' });
    } else if (!this.engine) {
      // nothing to steer yet
    } else if (msg.type === 'mode') this.engine.setMode(msg.mode);
    else if (msg.type === 'pad') this.engine.setPad(msg.va);
    else if (msg.type === 'profile') this.engine.setProfile(msg.profile);
  }

  process(inputs, outputs) {
    const out = outputs[0];
    if (!this.engine) return true;
    const L = out[0], R = out[1] || out[0], n = L.length, blk = this.engine.mixer.block;
    let done = 0;
    while (done < n) {
      if (this.avail === 0) { this.engine.render(this.buf); this.avail = blk; }
      const start = blk - this.avail, m = Math.min(this.avail, n - done);
      for (let j = 0; j < m; j++) { L[done + j] = this.buf[2 * (start + j)]; R[done + j] = this.buf[2 * (start + j) + 1]; }
      this.avail -= m; done += m;
    }
    if (++this.quanta % STATUS_EVERY === 0) {
      // The mixer runs ahead of the speaker by the part of a block not yet handed out.
      this.port.postMessage({ type: 'status', status: this.engine.status(), ahead: this.avail });
    }
    return true;
  }
}

registerProcessor('cue-player', CuePlayerProcessor);
