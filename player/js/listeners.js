// Listener clusters on the viewer's device: the package's profiles and assignment tables
// (listeners.json, the JSON of `learn export-profiles`), and the viewer's own feedback events
// assigned to a cluster with them.  A port of composer_assist/runtime/listeners.py and
// core/assignment.py: the same posterior, summed the way numpy sums it.  The events never leave
// the page.

import { pairwiseSum } from './calibration.js';

const CONTEXTS = ['high_arousal_positive', 'high_arousal_negative', 'low_arousal_positive', 'low_arousal_negative'];
const KEPT_WORDS = { 1: 1, 0: 0, keep: 1, kept: 1, skip: 0, skipped: 0, true: 1, false: 0, yes: 1, no: 0, '1.0': 1, '0.0': 0 };

export class ListenerError extends Error {}

const contextOf = (v, a) => CONTEXTS.indexOf(`${a >= 0 ? 'high' : 'low'}_arousal_${v >= 0 ? 'positive' : 'negative'}`);

/** The package's profiles (in cluster order) and assignment tables. */
export function parseListeners(text, name) {
  let d;
  try { d = JSON.parse(text); } catch (e) { throw new ListenerError(`${name}: not JSON (${e.message})`); }
  const t = d.assignment;
  if (!Array.isArray(d.profiles) || !t) throw new ListenerError(`${name}: no profiles or assignment tables`);
  const profiles = [...d.profiles].sort((a, b) => a.cluster - b.cluster);
  const variants = new Map(t.variants.map((v, j) => [`${v.cue}\u0000${v.variant}`, j]));
  if (t.log_prior.length !== profiles.length) throw new ListenerError(`${name}: tables do not match the ${profiles.length} profiles`);
  return { profiles, variants, logPrior: t.log_prior, logKeep: t.log_keep, logRating: t.log_rating };
}

function keptCode(x) {
  if (typeof x === 'boolean') return Number(x);
  if (typeof x === 'number') return x === 0 || x === 1 ? x : -1;
  return KEPT_WORDS[String(x ?? '').trim().toLowerCase()] ?? -1;
}

function ratingCode(x) {
  if (x === null || x === undefined || x === '' || (typeof x === 'number' && Number.isNaN(x))) return 0;
  const r = Number(x);
  return Number.isInteger(r) && r >= 1 && r <= 5 ? r : -1;
}

/** Events of a feedback log (CSV with the log's columns), optionally only `listener`'s. */
export function parseFeedback(text, name, listener = null) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
  const head = (lines.shift() || '').split(',').map((h) => h.trim());
  const rows = lines.map((l) => Object.fromEntries(l.split(',').map((c, i) => [head[i], c.trim()])));
  const mine = listener === null ? rows : rows.filter((r) => r.listener === listener);
  if (!mine.length) throw new ListenerError(`${name}: no feedback events${listener ? ` of listener ${listener}` : ''}`);
  return mine;
}

/** The most probable cluster of a viewer's events: {index, profile, posterior}. */
export function assignCluster(tables, events) {
  const codes = events.map((e, i) => {
    const j = tables.variants.get(`${e.cue}\u0000${e.variant}`);
    const kept = keptCode(e.kept), rating = ratingCode(e.rating);
    const v = Number(e.valence), a = Number(e.arousal);
    if (j === undefined || kept < 0 || rating < 0 || !(v >= -1 && v <= 1 && a >= -1 && a <= 1)) {
      throw new ListenerError(`feedback event ${i}: not an event of this package's catalog (cue, variant, valence, arousal in [-1, 1], kept, rating 1..5)`);
    }
    return [contextOf(v, a), j, kept, rating];
  });
  const lp = tables.logPrior.map((prior, c) => {
    const keep = Float64Array.from(codes, ([x, j, k]) => tables.logKeep[c][x][j][k]);
    const rate = Float64Array.from(codes, ([x, j, , r]) => tables.logRating[c][x][j][r]);
    return codes.length ? prior + pairwiseSum(keep, 0, keep.length) + pairwiseSum(rate, 0, rate.length) : prior;
  });
  const top = Math.max(...lp), p = lp.map((x) => Math.exp(x - top)), sum = p.reduce((s, x) => s + x, 0);
  const index = lp.indexOf(top);
  return { index, profile: tables.profiles[index], posterior: p.map((x) => x / sum) };
}
