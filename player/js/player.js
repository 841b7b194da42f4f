// The page's controller: loads a package (checked), decodes its stems, plays them through the
// AudioWorklet engine, renders offline with an OfflineAudioContext, and gives the decisions of a
// trace.  `window.cuePlayer` is this object (the browser tests drive it).

import { Engine, decisionsVector } from './engine.js';
import { assignCluster, parseFeedback, parseListeners } from './listeners.js';
import { PackageError, cueOf, decodeStems, fetchPackage, stemSetOf } from './package.js';
import { parseTrace } from './trace.js';

const BLOCK = 512; // the Python runtime's block: gain ramps split alike

export class CuePlayer {
  constructor() {
    this.pkg = null; this.decoded = null; this.stems = null; this.codec = 'opus';
    this.ctx = null; this.node = null; this.trace = null; this.scene = null;
    this.mode = 'off'; this.onStatus = () => {};
    this.listeners = null; this.profile = null;
  }

  /** Load and check the package at `url`; a refused package throws PackageError. */
  async load(url, { codec = 'opus', onProgress } = {}) {
    this.stop();
    this.pkg = null;
    const pkg = await fetchPackage(url, codec, onProgress);
    const sr = pkg.manifest.sample_rate;
    const ctx = new OfflineAudioContext(2, 1, sr); // decodes at the package's rate, no resampling
    this.decoded = await decodeStems(pkg, ctx, codec);
    this.stems = stemSetOf(pkg.manifest, this.decoded);
    this.pkg = pkg;
    // A package exported without --web has FLAC stems only: those are what played.
    this.codec = codec === 'opus' && pkg.manifest.variants.every((v) => v.layers.every((l) => l.stem.opus)) ? 'opus' : 'flac';
    this.scene = this.sceneCurve();
    const people = pkg.manifest.listeners;
    this.listeners = people ? parseListeners(new TextDecoder().decode(pkg.files.get(people.path)), people.path) : null;
    this.profile = null;
    return pkg.manifest;
  }

  get cue() { return this.stems.cue; }

  /** The package's scene emotion curve (planned mode without sensors), or null. */
  sceneCurve() {
    const ref = this.pkg.manifest.scene_curve;
    if (!ref) return null;
    const bytes = this.pkg.files.get(ref.path);
    if (!bytes) throw new PackageError(`${ref.path}: the scene curve is not listed in the manifest's files`);
    return parseTrace(new TextDecoder().decode(bytes), ref.path);
  }

  /** A trace file's text (from a file the viewer picked, or one in the package). */
  setTrace(text, name) { this.trace = parseTrace(text, name); return this.trace; }

  traceFromPackage(path) {
    const bytes = this.pkg.files.get(path);
    if (!bytes) throw new PackageError(`${path}: not a file of the package`);
    return this.setTrace(new TextDecoder().decode(bytes), path);
  }

  /** Listen as cluster `index` (in the package's cluster order), or as nobody in particular (null). */
  setCluster(index) {
    this.profile = index === null ? null : this.listeners.profiles[index];
    if (this.node) this.node.port.postMessage({ type: 'profile', profile: this.profile });
    return this.profile;
  }

  /** The viewer's own feedback log (read in the page, never sent): assigned to a cluster, which is then used. */
  assignFromFeedback(text, name, listener = null) {
    if (!this.listeners) throw new PackageError('this package has no listener clusters');
    const a = assignCluster(this.listeners, parseFeedback(text, name, listener));
    this.setCluster(a.index);
    return { cluster: a.profile.cluster, name: a.profile.name, posterior: a.posterior };
  }

  /** Off mode plays the cue's first variant, the composer's default (as runtime/scene.py). */
  defaultVariant() {
    return 0;
  }

  engineOptions(mode) {
    return { block: BLOCK, defaultVariant: this.defaultVariant(), mode, trace: this.trace, scene: this.scene,
      profile: this.profile };
  }

  /** The decisions the engine makes over `seconds` of `mode` (default: the curve's span), in the
   * shared test vector's form (runtime.decisions_vector). */
  decisions(mode = 'sensed', seconds = null) {
    return decisionsVector(this.stems, { ...this.engineOptions(mode), seconds });
  }

  /** Render `seconds` of `mode` with an OfflineAudioContext and the worklet: [L, R]. */
  async renderOffline(mode, seconds) {
    const sr = this.pkg.manifest.sample_rate;
    const ctx = new OfflineAudioContext(2, Math.round(seconds * sr), sr);
    const node = await this.workletNode(ctx, mode);
    node.connect(ctx.destination);
    const buf = await ctx.startRendering();
    return [buf.getChannelData(0), buf.getChannelData(1)];
  }

  /** The same samples without the audio graph (the engine called block by block). */
  renderDirect(mode, seconds) {
    const engine = new Engine(this.stems, this.engineOptions(mode));
    engine.begin(mode, { trace: this.trace, scene: this.scene });
    const frames = Math.round(seconds * this.pkg.manifest.sample_rate), out = new Float32Array(2 * frames);
    for (let i = 0; i < frames; i += BLOCK) engine.render(out.subarray(2 * i, 2 * Math.min(frames, i + BLOCK)));
    return out;
  }

  async workletNode(ctx, mode) {
    await ctx.audioWorklet.addModule(new URL('./worklet.js', import.meta.url));
    const node = new AudioWorkletNode(ctx, 'cue-player', { numberOfInputs: 0, outputChannelCount: [2] });
    const ready = new Promise((res) => { node.port.onmessage = (e) => { if (e.data.type === 'ready') res(); }; });
    node.port.postMessage({ type: 'init', manifest: this.pkg.manifest, decoded: this.decoded, options: this.engineOptions(mode) });
    await ready;
    return node;
  }

  /** Play from the start in `mode` on the speakers. */
  async play(mode) {
    this.stop();
    this.mode = mode;
    this.ctx = new AudioContext({ sampleRate: this.pkg.manifest.sample_rate, latencyHint: 'playback' });
    this.node = await this.workletNode(this.ctx, mode);
    this.node.port.onmessage = (e) => { if (e.data.type === 'status') this.onStatus(e.data.status); };
    this.node.connect(this.ctx.destination);
    await this.ctx.resume();
  }

  setMode(mode) { this.mode = mode; if (this.node) this.node.port.postMessage({ type: 'mode', mode }); }
  setPad(va) { if (this.node) this.node.port.postMessage({ type: 'pad', va }); }

  stop() {
    if (this.ctx) { this.ctx.close(); this.ctx = null; this.node = null; }
  }

  manifestCue() { return cueOf(this.pkg.manifest); }
}
