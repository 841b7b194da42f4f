// Loading a cue package over HTTP: manifest.json, every listed file checked against its size and
// SHA-256 (crypto.subtle) before anything is decoded, the stems decoded by the Web Audio API.
// Only the package's own files are fetched, relative to the package URL: nothing else leaves
// the page.

import { TempoMap } from './clock.js';
import { ManifestError, checkManifest, safePath } from './manifestCheck.js';
import { SCHEMA } from './manifestSchema.js';
import { buildStemSet } from './stems.js';

export const FORMAT = 'composer-assist-cue-package';
export const FORMAT_VERSIONS = [1];

export class PackageError extends Error {}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

async function fetchBytes(base, path) {
  const res = await fetch(new URL(path, base), { cache: 'no-store' });
  if (!res.ok) throw new PackageError(`${path}: HTTP ${res.status} (missing from the package?)`);
  return res.arrayBuffer();
}

/** The paths a player in `codec` reads: its stems, the stingers, the scene curve, the listener tables. */
export function neededPaths(manifest, codec) {
  const stems = manifest.variants.flatMap((v) => v.layers.map((l) => l.stem)).concat(manifest.stingers.map((s) => s.stem));
  const paths = stems.map((st) => (codec === 'opus' && st.opus ? st.opus : st.flac).path);
  if (manifest.scene_curve) paths.push(manifest.scene_curve.path);
  if (manifest.listeners) paths.push(manifest.listeners.path);
  return paths;
}

/**
 * The manifest and every file the player needs (`codec` 'opus' or 'flac'), each checked against
 * the manifest's size and SHA-256 before use; throws PackageError naming the first bad file.
 */
export async function fetchPackage(baseUrl, codec = 'opus', onProgress = () => {}) {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, location.href);
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(base, 'manifest.json')));
  } catch (e) {
    throw e instanceof PackageError ? e : new PackageError(`manifest.json: not JSON (${e.message})`);
  }
  if (manifest.format !== FORMAT) throw new PackageError(`manifest.json: format is not ${FORMAT}`);
  if (!FORMAT_VERSIONS.includes(manifest.format_version)) {
    throw new PackageError(`manifest.json: format_version ${manifest.format_version} is not supported (this player reads ${FORMAT_VERSIONS.join(', ')})`);
  }
  try {
    checkManifest(manifest);
  } catch (e) {
    throw e instanceof ManifestError ? new PackageError(e.message) : e;
  }
  const listed = new Map((manifest.files || []).map((f) => [f.path, f]));
  const needed = neededPaths(manifest, codec);
  const files = new Map();
  for (const [i, path] of needed.entries()) {
    const f = listed.get(safePath(path));
    if (!f) throw new PackageError(`${path}: referenced by the manifest but not in its files (no checksum): package refused`);
    const bytes = await fetchBytes(base, path);
    if (bytes.byteLength !== f.size) {
      throw new PackageError(`${path}: ${bytes.byteLength} bytes, the manifest says ${f.size}: package refused`);
    }
    const sum = hex(await crypto.subtle.digest('SHA-256', bytes));
    if (sum !== f.sha256) throw new PackageError(`${path}: SHA-256 does not match the manifest (tampered or damaged): package refused`);
    files.set(path, bytes);
    onProgress(i + 1, needed.length, path);
  }
  return { base, manifest, files };
}

/** The cue as the policy, scheduler and clock read it (the Python Cue's fields). */
export function cueOf(manifest) {
  const m = manifest;
  return {
    name: m.cue.name,
    tempoMap: new TempoMap(m.cue.tempo.map((p) => ({ beat: p.beat, bpm: p.bpm }))),
    meter: m.cue.meter,
    lengthBeats: m.cue.length_beats,
    loop: [m.loop.start_beat, m.loop.end_beat],
    markers: m.markers.map((k) => ({ name: k.name, beat: k.beat })),
    // Fader, pan and level are baked into the stems: the player applies only the intensity law.
    variants: m.variants.map((v) => ({
      name: v.name, valence: v.valence, arousal: v.arousal, tags: v.tags, intensity: v.intensity,
      level_offset_lu: v.level_offset_lu || 0, arousal_follows_intensity: !!v.arousal_follows_intensity,
      layers: v.layers.map((l) => ({ name: l.name, intensity: l.intensity, fade: l.fade, gain_db: 0, pan: 0 })),
    })),
    transitions: m.rules,
    stingers: m.stingers.map((s) => ({ name: s.name, gain_db: 0, pan: 0 })),
    adaptive: m.adaptive,
  };
}

// The loudest a stem's sample may be once scaled (runtime.format.MAX_STEM_PEAK, the largest scale)
const MAX_STEM_PEAK = SCHEMA.$defs.Stem.properties.scale.maximum;
// How each codec's files begin: a stem of another kind (a float WAV renamed .flac) is forged
const MAGIC = { flac: [[0, 'fLaC']], opus: [[0, 'OggS'], [28, 'OpusHead']] };

/** Refuse a stem whose bytes are not a file of its codec (runtime/load.py checks the container). */
function checkContainer(bytes, file) {
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 64));
  const has = ([at, text]) => [...text].every((c, i) => head[at + i] === c.charCodeAt(0));
  if (!(MAGIC[file.codec] || []).every(has)) {
    throw new PackageError(`${file.path}: not a ${String(file.codec).toUpperCase()} file (a forged stem)`);
  }
}

/** Refuse samples that are not numbers or pass MAX_STEM_PEAK (runtime/load.py _check_peak). */
function checkPeak(channels, file) {
  for (const x of channels) {
    for (let i = 0; i < x.length; i++) {
      if (!(Math.abs(x[i]) <= MAX_STEM_PEAK)) {
        const what = Number.isNaN(x[i]) ? 'samples that are not numbers' : `a sample of ${x[i]}`;
        throw new PackageError(`${file.path}: holds ${what}, past the +12 dBFS a stem may reach (a damaged or forged stem)`);
      }
    }
  }
}

/** Body and tail of a decoded stem as [L, R] Float32Arrays (scale applied, encoder delay dropped). */
function splitStem(buffer, stem, file) {
  const total = stem.frames + stem.tail_frames;
  // A decoder that ignores the Opus pre-skip returns it in front of the samples: drop it here.
  const n = buffer.length, pre = file.pre_skip || 0;
  const skip = file.codec === 'opus' && pre && (n === total + pre || n === total + pre + (file.padding || 0)) ? pre : 0;
  if (buffer.length < total) {
    throw new PackageError(`${file.path}: decoded ${buffer.length} samples, the manifest says ${total}`);
  }
  if (buffer.numberOfChannels !== 2) {
    throw new PackageError(`${file.path}: ${buffer.numberOfChannels} channels, expected 2`);
  }
  const ch = (c) => {
    const x = buffer.getChannelData(c).subarray(skip, skip + total);
    if (stem.scale === 1) return x;
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = x[i] * stem.scale;
    return y;
  };
  const L = ch(0), R = ch(1);
  checkPeak([L, R], file);
  const tail = stem.tail_frames ? [L.subarray(stem.frames), R.subarray(stem.frames)] : null;
  return { body: [L.subarray(0, stem.frames), R.subarray(0, stem.frames)], tail };
}

/** Decode every stem of the package (`codec` 'opus' or 'flac'): {audio, tails, stingers} as
 * [L, R] Float32Arrays by variant and layer (stemSetOf lays them out for the mixer). */
export async function decodeStems(pkg, ctx, codec = 'opus') {
  const m = pkg.manifest;
  const one = async (stem) => {
    const file = codec === 'opus' && stem.opus ? stem.opus : stem.flac;
    const bytes = pkg.files.get(file.path);
    checkContainer(bytes, file);
    const buffer = await ctx.decodeAudioData(bytes.slice(0));
    return splitStem(buffer, stem, file);
  };
  const audio = {}, tails = {}, stingers = {};
  for (const v of m.variants) {
    audio[v.name] = {}; tails[v.name] = {};
    for (const l of v.layers) {
      const s = await one(l.stem);
      audio[v.name][l.name] = s.body;
      if (s.tail) tails[v.name][l.name] = s.tail;
    }
  }
  for (const s of m.stingers) {
    const d = await one(s.stem);
    stingers[s.name] = d.tail ? concat(d.body, d.tail) : d.body;
  }
  return { audio, tails, stingers };
}

/** The mixer's stem set of a package's decoded stems. */
export function stemSetOf(manifest, decoded) {
  return buildStemSet(cueOf(manifest), manifest.sample_rate, decoded.audio, decoded.tails, decoded.stingers, {},
    windowsOf(manifest), peaksOf(manifest));
}

/** The manifest's peak envelopes (the transition's peak guard), or null. */
export function peaksOf(manifest) {
  const block = (manifest.loudness || {}).peak_block || 0;
  const byVariant = {};
  for (const v of manifest.variants) if (v.peak_envelope) byVariant[v.name] = v.peak_envelope;
  const stingers = {};
  for (const s of manifest.stingers) if (s.peak_envelope) stingers[s.name] = s.peak_envelope;
  return block > 0 ? { block, byVariant, stingers } : null;
}

/** The manifest's local loudness tables (level match over intensity, transition trims), or null. */
export function windowsOf(manifest) {
  const hop = (manifest.loudness || {}).window_hop || 0;
  const byVariant = {};
  for (const v of manifest.variants) if (v.loudness_windows) byVariant[v.name] = v.loudness_windows;
  return hop > 0 ? { hop, byVariant } : null;
}

function concat(a, b) {
  return [0, 1].map((c) => { const x = new Float32Array(a[c].length + b[c].length); x.set(a[c]); x.set(b[c], a[c].length); return x; });
}
