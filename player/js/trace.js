// Emotion traces as the page reads them: the canonical CSV `composer-assist trace convert` writes
// (`# scale:` line, a time column, valence, arousal, optional heart_rate) or JSON with columns
// ({"time": [...], "valence": [...], "arousal": [...]}) or rows ({"samples": [{time, valence,
// arousal}]}).  Values are mapped from the stated scale to [-1, 1].

const SCALES = { '[-1,1]': [-1, 1], '[0,1]': [0, 1], '[1,9]': [1, 9], '[1,7]': [1, 7], '[1,5]': [1, 5] };
const TIME_S = ['time_s', 'time', 't', 'seconds', 'timestamp'];
const TIME_MS = ['time_ms', 't_ms', 'timestamp_ms', 'ms', 'milliseconds'];
const HR = ['heart_rate', 'hr', 'heartrate'];

export class TraceError extends Error {}

function scaleOf(text, name) {
  if (text === undefined || text === null || text === '') return [-1, 1];
  const key = String(text).replace(/\s+/g, '');
  const known = SCALES[key] || (/^\[?(-?[\d.]+),(-?[\d.]+)\]?$/.test(key) ? key.replace(/[[\]]/g, '').split(',').map(Number) : null);
  if (!known) throw new TraceError(`${name}: unknown scale ${text}`);
  return known;
}

function toSigned(values, [lo, hi]) {
  return values.map((x) => (lo === -1 && hi === 1 ? x : -1 + 2 * (x - lo) / (hi - lo)));
}

function finish(name, times, valence, arousal, heartRate, scale) {
  if (times.length < 2) throw new TraceError(`${name}: needs at least two rows`);
  for (let i = 1; i < times.length; i++) {
    if (!(times[i] > times[i - 1])) throw new TraceError(`${name}: row ${i + 1}: time does not increase`);
  }
  return { name, times, valence: toSigned(valence, scale), arousal: toSigned(arousal, scale), heartRate };
}

function parseCsv(text, name) {
  const meta = {}, rows = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const m = line.match(/^#\s*([\w ]+):\s*(.*)$/);
    if (line.startsWith('#')) { if (m) meta[m[1].trim()] = m[2].trim(); continue; }
    rows.push(line.split(',').map((s) => s.trim()));
  }
  const header = (rows.shift() || []).map((h) => h.toLowerCase());
  const find = (names) => header.findIndex((h) => names.includes(h));
  let ti = find(TIME_S), ms = false;
  if (ti < 0) { ti = find(TIME_MS); ms = ti >= 0; }
  const vi = find(['valence', 'v']), ai = find(['arousal', 'a']), hi = find(HR), ok = header.indexOf('valid');
  if (ti < 0 || vi < 0 || ai < 0) throw new TraceError(`${name}: the header needs a time column, valence and arousal`);
  const num = (r, i, k) => {
    const x = Number(r[i]);
    if (r[i] === '' || !Number.isFinite(x)) throw new TraceError(`${name}: data row ${k + 1}: column ${header[i]}: ${JSON.stringify(r[i])} is not a number`);
    return x;
  };
  const kept = rows.filter((r) => ok < 0 || r[ok] !== '0');
  const times = kept.map((r, k) => num(r, ti, k) / (ms ? 1000 : 1));
  return finish(name, times, kept.map((r, k) => num(r, vi, k)), kept.map((r, k) => num(r, ai, k)),
    hi >= 0 ? kept.map((r, k) => num(r, hi, k)) : null, scaleOf(meta.scale, name));
}

function parseJson(text, name) {
  const d = JSON.parse(text);
  const div = d.time_unit === 'ms' ? 1000 : 1;
  const cols = d.samples ? {
    time: d.samples.map((s) => s.time), valence: d.samples.map((s) => s.valence),
    arousal: d.samples.map((s) => s.arousal), heart_rate: d.samples[0]?.heart_rate !== undefined ? d.samples.map((s) => s.heart_rate) : null,
  } : d;
  const time = cols.time || cols.time_s || cols.times;
  if (!time || !cols.valence || !cols.arousal) throw new TraceError(`${name}: needs time, valence and arousal`);
  const hr = cols.heart_rate || cols.hr || null;
  return finish(name, time.map((t) => t / div), cols.valence, cols.arousal, hr, scaleOf(d.scale, name));
}

/** A trace from the text of a file called `name` (.json, else CSV). */
export function parseTrace(text, name = 'trace') {
  try {
    return /\.json$/i.test(name) || text.trimStart().startsWith('{') ? parseJson(text, name) : parseCsv(text, name);
  } catch (e) {
    if (e instanceof TraceError) throw e;
    throw new TraceError(`${name}: ${e.message}`);
  }
}
