// The page's check of a package manifest: the port of composer_assist/runtime/manifest_check.py
// (the same schema, generated from the pydantic models `validate` uses, and the same consistency
// checks), so the page, the Python runtime and `validate` refuse the same manifests, naming the
// same field.  The manifest is the one file without a checksum: a hand edit reaches here.

import { SCHEMA } from './manifestSchema.js';

export class ManifestError extends Error {}

const NAMES = { object: 'an object', array: 'a list', string: 'a string', integer: 'a whole number',
  number: 'a number', boolean: 'true or false', null: 'null' };
const MANIFEST = 'manifest.json';

const fail = (where, why, member = MANIFEST) => new ManifestError(`${member}: ${where ? `${where}: ` : ''}${why}`);
const refuse = (where, why) => fail(where || '(top level)', why);
const at = (where, key) => (typeof key === 'number' ? `${where}[${key}]` : where ? `${where}.${key}` : key);

function what(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'true/false';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.length < 40 ? `'${v}'` : 'a string';
  return Array.isArray(v) ? 'a list' : 'an object';
}

/** `v` is of JSON type `kind` (JSON.parse cannot tell 5.0 from 5: both are whole numbers here). */
function is(v, kind) {
  switch (kind) {
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: return false;
  }
}

const resolve = (s) => (s.$ref ? SCHEMA.$defs[s.$ref.split('/').pop()] : s);

function rangeText(lo, hi, loOpen) {
  if (hi === undefined) return `must be ${loOpen ? '>' : '>='} ${lo}`;
  if (lo === undefined) return `must be <= ${hi}`;
  return `is outside ${loOpen ? '(' : '['}${lo}, ${hi}]`;
}

function checkNumber(v, s, where) {
  if (!Number.isFinite(v)) throw refuse(where, `${v} is not a finite number`);
  const loOpen = 'exclusiveMinimum' in s;
  const lo = loOpen ? s.exclusiveMinimum : s.minimum, hi = s.maximum;
  if ((lo !== undefined && (v < lo || (loOpen && v === lo))) || (hi !== undefined && v > hi)) {
    throw refuse(where, `${v} ${rangeText(lo, hi, loOpen)}`);
  }
}

function checkArray(v, s, where) {
  const n = v.length, lo = s.minItems || 0, hi = s.maxItems;
  if (n < lo || (hi !== undefined && n > hi)) {
    const want = lo === hi ? `exactly ${lo}` : hi === undefined ? `at least ${lo}` : `${lo} to ${hi}`;
    throw refuse(where, `${n} items, expected ${want}`);
  }
  (s.prefixItems || []).forEach((sub, i) => { if (i < n) check(v[i], sub, at(where, i)); });
  if (s.items) v.forEach((item, i) => check(item, s.items, at(where, i)));
}

function checkObject(v, s, where) {
  const props = s.properties || {};
  for (const key of s.required || []) if (!(key in v)) throw refuse(at(where, key), 'is required but missing');
  const extra = s.additionalProperties === undefined ? true : s.additionalProperties;
  for (const [key, item] of Object.entries(v)) {
    if (key in props) check(item, props[key], at(where, key));
    else if (extra === false) throw refuse(at(where, key), `unknown field (known: ${Object.keys(props).sort().join(', ')})`);
    else if (typeof extra === 'object') check(item, extra, at(where, key));
  }
}

function checkAnyOf(v, options, where) {
  const errors = [];
  for (const option of options) {
    try { check(v, option, where); return; } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      errors.push([option, e]);
    }
  }
  // the complaint of the option of the value's own type says most
  const same = errors.filter(([option]) => is(v, resolve(option).type));
  throw (same.length ? same : errors)[0][1];
}

function check(v, schema, where) {
  const s = resolve(schema);
  if (s.anyOf) { checkAnyOf(v, s.anyOf, where); return; }
  if (s.type !== undefined && !is(v, s.type)) throw refuse(where, `expected ${NAMES[s.type]}, got ${what(v)}`);
  if ('const' in s && v !== s.const) throw refuse(where, `${what(v)} is not '${s.const}'`);
  if (s.enum && !s.enum.includes(v)) throw refuse(where, `${what(v)} is not one of ${s.enum.join(', ')}`);
  if (s.type === 'number' || s.type === 'integer') checkNumber(v, s, where);
  else if (s.type === 'string' && s.pattern && !new RegExp(s.pattern).test(v)) {
    throw refuse(where, `${what(v)} does not match ${s.pattern}`);
  } else if (s.type === 'array') checkArray(v, s, where);
  else if (s.type === 'object') checkObject(v, s, where);
}

// ---- what a schema cannot say --------------------------------------------------------------------
/** A path inside the package: relative, no '..', no scheme, no absolute path. */
export function safePath(p) {
  // '%', '?' and '#' too: URL parsing would decode %2e%2e into '..' or cut the path short.
  if (typeof p !== 'string' || !p || p.startsWith('/') || /[\\%?#]/.test(p) || /^[a-z]+:/i.test(p)
      || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw fail('', `leaves the package (a relative path inside it, no '..', '%', '?' or '#')`, String(p));
  }
  return p;
}

const stemsOf = (m) => m.variants.flatMap((v) => v.layers.map((l) => l.stem)).concat(m.stingers.map((s) => s.stem));

function checkFiles(m) {
  const listed = new Set(m.files.map((f) => f.path));
  const paths = stemsOf(m).flatMap((s) => ['flac', 'opus'].filter((c) => s[c] != null).map((c) => s[c].path));
  for (const k of ['listeners', 'scene_curve']) if (m[k] != null) paths.push(m[k].path);
  for (const p of paths) if (!listed.has(safePath(p))) throw fail('', 'referenced by the manifest but not listed in its files', p);
}

function checkNames(m) {
  const groups = [['variants', m.variants], ['stingers', m.stingers], ['markers', m.markers]]
    .concat(m.variants.map((v, i) => [`variants[${i}].layers`, v.layers]));
  for (const [where, items] of groups) {
    const names = items.map((x) => x.name);
    if (new Set(names).size !== names.length) {
      throw fail(where, `two ${where.split('.').pop().split('[')[0]} share a name`);
    }
  }
}

function checkTimeline(m) {
  const cue = m.cue, beats = cue.tempo.map((p) => p.beat);
  if (beats[0] !== 0) throw fail('cue.tempo[0].beat', `${beats[0]}, but the first tempo point is at beat 0`);
  for (let i = 1; i < beats.length; i++) {
    if (beats[i] <= beats[i - 1]) throw fail(`cue.tempo[${i}].beat`, `${beats[i]}, not after the point before it`);
  }
  const length = cue.length_bars * (cue.meter.numerator * 4 / cue.meter.denominator);
  if (Math.abs(cue.length_beats - length) > 1e-9 * Math.max(Math.abs(cue.length_beats), Math.abs(length))) {
    throw fail('cue.length_beats', `${cue.length_beats}, but ${cue.length_bars} bars of `
      + `${cue.meter.numerator}/${cue.meter.denominator} are ${length} beats`);
  }
  const loop = m.loop;
  if (!(loop.start_beat >= 0 && loop.start_beat < loop.end_beat && loop.end_beat <= length)) {
    throw fail('loop', `beats ${loop.start_beat} to ${loop.end_beat} are not a region of the cue's ${length} beats`);
  }
  m.markers.forEach((k, i) => {
    if (k.beat > length) throw fail(`markers[${i}].beat`, `${k.beat} is past the cue's end (${length} beats)`);
  });
}

function checkRanges(m) {
  m.variants.forEach((v, i) => {
    const items = [[`variants[${i}].intensity`, v.intensity]]
      .concat(v.layers.map((l, j) => [`variants[${i}].layers[${j}].intensity`, l.intensity]));
    for (const [where, [lo, hi]] of items) if (lo > hi) throw fail(where, `[${lo}, ${hi}] runs backwards`);
  });
}

function checkRules(m) {
  const names = new Set(m.variants.map((v) => v.name).concat(['*']));
  const stingers = new Set(m.stingers.map((s) => s.name)), markers = new Set(m.markers.map((k) => k.name));
  m.rules.forEach((r, i) => {
    for (const side of ['source', 'target']) {
      if (!names.has(r[side])) throw fail(`rules[${i}].${side}`, `no variant '${r[side]}'`);
    }
    if (r.stinger != null && !stingers.has(r.stinger)) throw fail(`rules[${i}].stinger`, `no stinger '${r.stinger}'`);
    for (const key of ['leave_marker', 'enter_marker']) {
      if (r[key] != null && !markers.has(r[key])) throw fail(`rules[${i}].${key}`, `no marker '${r[key]}'`);
    }
  });
}

function checkTransitions(m) {
  const names = new Set(m.variants.map((v) => v.name)), stingers = new Set(m.stingers.map((s) => s.name));
  m.transitions.forEach((t, i) => {
    for (const side of ['source', 'target']) {
      if (!names.has(t[side])) throw fail(`transitions[${i}].${side}`, `no variant '${t[side]}'`);
    }
    if (!(t.rule < m.rules.length)) throw fail(`transitions[${i}].rule`, `${t.rule}, but there are ${m.rules.length} rules`);
    if (t.stinger != null && !stingers.has(t.stinger)) throw fail(`transitions[${i}].stinger`, `no stinger '${t.stinger}'`);
  });
}

function checkStems(m) {
  const want = m.cue.length_samples;
  m.variants.forEach((v, vi) => v.layers.forEach((l, li) => {
    if (l.stem.frames !== want) {
      throw fail(`variants[${vi}].layers[${li}].stem.frames`, `${l.stem.frames}, but the cue is ${want} samples`);
    }
  }));
}

function checkEnvelopes(m) {
  const block = m.loudness.peak_block || 0;
  m.variants.forEach((v, i) => {
    const want = block ? Math.ceil(m.cue.length_samples / block) : 0;
    if (v.peak_envelope != null && v.peak_envelope.length !== want) {
      throw fail(`variants[${i}].peak_envelope`, `${v.peak_envelope.length} values, expected ${want} `
        + `(one per loudness.peak_block = ${block} samples of the cue)`);
    }
  });
  m.stingers.forEach((st, i) => {
    const want = block ? Math.max(1, Math.ceil((st.stem.frames + (st.stem.tail_frames || 0)) / block)) : 0;
    if (st.peak_envelope != null && st.peak_envelope.length !== want) {
      throw fail(`stingers[${i}].peak_envelope`, `${st.peak_envelope.length} values, expected ${want} `
        + `(one per loudness.peak_block = ${block} samples of the stinger)`);
    }
  });
}

function checkWindows(m) {
  m.variants.forEach((v, i) => {
    const n = v.layers.length, want = n * (n + 1) / 2;
    (v.loudness_windows || []).forEach((row, j) => {
      if (row.length !== want) {
        throw fail(`variants[${i}].loudness_windows[${j}]`, `${row.length} values, expected ${want} `
          + `(the upper triangle of ${n} layers' products)`);
      }
    });
  });
}

function checkConsistency(m) {
  checkFiles(m);
  checkNames(m);
  checkTimeline(m);
  checkRanges(m);
  checkRules(m);
  checkTransitions(m);
  checkStems(m);
  checkEnvelopes(m);
  checkWindows(m);
  const calibration = m.adaptive.calibration || {};
  if ('enabled' in calibration && typeof calibration.enabled !== 'boolean') {
    throw fail('adaptive.calibration.enabled', `expected true or false, got ${what(calibration.enabled)}`);
  }
}

/** Refuse (ManifestError naming the field) a manifest `validate` and the Python runtime refuse. */
export function checkManifest(m) {
  check(m, SCHEMA, '');
  checkConsistency(m);
}
