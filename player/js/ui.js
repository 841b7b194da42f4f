// The page: controls, the status line, the curve canvas (valence, arousal, the playing variant,
// the playhead) and the valence/arousal pad.  URL parameters: `package` (the package folder's
// URL, default: the folder above this page, where `export --web` puts it), `trace` (a trace file
// inside the package), `mode` (sensed, scene or off), `codec` (opus or flac).

import { CuePlayer } from './player.js';
import { scheduleFor } from './engine.js';
import { arousalSpan } from './policy.js';

const $ = (id) => document.getElementById(id);
// the variants' colours and the curves' black and grey, as the studio and the figures draw them
// (composer_assist/figures/colours.py; tests/web check the copy)
const COLORS = ['#2a9d8f', '#e63946', '#f4a261', '#457b9d', '#9b5de5', '#6a994e', '#d6336c', '#8c564b'];
const CURVES = [['valence', '#111111', []], ['arousal', '#7a7a7a', [6, 4]]];  // key, colour, dash
const player = new CuePlayer();
window.cuePlayer = player; // for the browser tests and the console
const view = { plan: null, duration: 60, history: [], status: null, pad: null, playing: false };

function message(text, kind = 'error') {
  const el = $('message');
  el.textContent = text; el.className = `message ${kind}`; el.hidden = !text;
}

function curveOf(mode) { return mode === 'scene' ? (player.scene || player.trace) : (mode === 'sensed' ? player.trace : null); }

/** The schedule to draw: the decisions for the curve the mode follows (none for the pad or off). */
function replan() {
  const mode = $('mode').value, curve = curveOf(mode);
  view.plan = curve ? scheduleFor(player.stems, curve, mode, player.profile) : null;
  view.duration = curve ? curve.times[curve.times.length - 1] - curve.times[0] : 60;
  view.history = [];
  draw();
}

function drawCurve() {
  const cv = $('curve'), g = cv.getContext('2d'), W = cv.width, H = cv.height;
  const left = 44, right = W - 10, top = 34, bottom = H - 28;
  const xs = (t) => left + (right - left) * Math.min(1, t / view.duration), ys = (v) => top + (bottom - top) * (1 - v) / 2;
  g.clearRect(0, 0, W, H);
  g.font = '12px system-ui'; g.fillStyle = '#495057'; g.strokeStyle = '#e9ecef'; g.lineWidth = 1;
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    g.beginPath(); g.moveTo(left, ys(v)); g.lineTo(right, ys(v)); g.stroke();
    g.fillText(v.toFixed(1), 8, ys(v) + 4);
  }
  const step = view.duration > 120 ? 30 : view.duration > 30 ? 10 : 5;
  for (let t = 0; t <= view.duration; t += step) g.fillText(`${t} s`, xs(t) - 8, H - 8);
  const curve = curveOf($('mode').value);
  if (curve) {
    const t0 = curve.times[0];
    for (const [key, color, dash] of CURVES) {
      g.strokeStyle = color; g.lineWidth = 2; g.setLineDash(dash); g.beginPath();
      curve.times.forEach((t, i) => (i ? g.lineTo : g.moveTo).call(g, xs(t - t0), ys(curve[key][i])));
      g.stroke();
    }
    g.setLineDash([]);
  }
  drawBand(g, xs, left, right);
  if (view.status) { // the playhead
    const x = xs(view.status.sample / player.stems.sampleRate);
    g.strokeStyle = '#212529'; g.lineWidth = 2; g.beginPath(); g.moveTo(x, top - 6); g.lineTo(x, bottom); g.stroke();
  }
}

/** The variant band above the curve: the plan's switches, or what has played (pad, off). */
function drawBand(g, xs, left, right) {
  const names = player.stems.variantNames, sr = player.stems.sampleRate, y = 8, h = 16;
  const segs = [];
  if (view.plan) {
    let v = view.plan.startVariant, t = 0;
    for (const sw of view.plan.switches) { segs.push([t, sw.sample / sr, v]); t = sw.sample / sr; v = sw.target; }
    segs.push([t, view.duration, v]);
  } else {
    for (const [t, v] of view.history) {
      if (segs.length && segs[segs.length - 1][2] === v) segs[segs.length - 1][1] = t; else segs.push([t, t, v]);
    }
  }
  for (const [a, b, v] of segs) {
    g.fillStyle = COLORS[v % COLORS.length]; g.fillRect(xs(a), y, Math.max(1, xs(b) - xs(a)), h);
    if (xs(b) - xs(a) > 50) { g.fillStyle = '#fff'; g.fillText(names[v], xs(a) + 4, y + 12); }
  }
  g.strokeStyle = '#adb5bd'; g.strokeRect(left, y, right - left, h);
}

function drawPad() {
  const cv = $('pad'), g = cv.getContext('2d'), S = cv.width, m = 20;
  const px = (v) => m + (S - 2 * m) * (v + 1) / 2, py = (a) => m + (S - 2 * m) * (1 - a) / 2;
  g.clearRect(0, 0, S, S);
  g.strokeStyle = '#dee2e6'; g.beginPath(); g.moveTo(px(0), py(-1)); g.lineTo(px(0), py(1));
  g.moveTo(px(-1), py(0)); g.lineTo(px(1), py(0)); g.stroke();
  g.font = '12px system-ui';
  const playing = view.status ? view.status.variant : null;
  player.cue.variants.forEach((v, i) => {
    const [lo, hi] = arousalSpan(v);
    if (hi > lo) {  // its arousal follows intensity: the span it can express
      g.save(); g.globalAlpha = 0.45; g.strokeStyle = COLORS[i % COLORS.length]; g.lineWidth = 6; g.lineCap = 'round';
      g.beginPath(); g.moveTo(px(v.valence), py(lo)); g.lineTo(px(v.valence), py(hi)); g.stroke(); g.restore();
    }
    g.fillStyle = COLORS[i % COLORS.length]; g.beginPath();
    g.arc(px(v.valence), py(v.arousal), v.name === playing ? 10 : 6, 0, 2 * Math.PI); g.fill();
    g.fillStyle = '#212529'; g.fillText(v.name, px(v.valence) + 9, py(v.arousal) - 8);
  });
  const st = view.status, at = view.pad || (st && st.valence !== null ? [st.valence, st.arousal] : null);
  if (at) { g.strokeStyle = '#212529'; g.lineWidth = 2; g.beginPath(); g.arc(px(at[0]), py(at[1]), 8, 0, 2 * Math.PI); g.stroke(); }
}

function draw() { if (player.stems) { drawCurve(); drawPad(); } }

function showStatus(st) {
  view.status = st;
  const sr = player.stems.sampleRate, beats = player.stems.clock.beatOf(st.cueSample);
  const bpb = player.cue.meter.numerator * 4 / player.cue.meter.denominator;
  view.history.push([st.sample / sr, player.stems.variantNames.indexOf(st.variant)]);
  $('st-variant').textContent = st.variant ?? '-';
  $('st-target').textContent = st.target ?? '-';
  $('st-time').textContent = `${(st.sample / sr).toFixed(1)} s`;
  $('st-bar').textContent = `${Math.floor(beats / bpb) + 1}.${Math.floor(beats % bpb) + 1}`;
  $('st-intensity').textContent = st.intensity.toFixed(2);
  $('st-emotion').textContent = st.valence === null ? '-' : `v ${st.valence.toFixed(2)} a ${st.arousal.toFixed(2)}`;
}

function bindPad() {
  const cv = $('pad');
  const at = (e) => {
    const r = cv.getBoundingClientRect(), m = 20 * r.width / cv.width;
    const clip = (x) => Math.max(-1, Math.min(1, x));
    return [clip(((e.clientX - r.left - m) / (r.width - 2 * m)) * 2 - 1), clip(1 - ((e.clientY - r.top - m) / (r.height - 2 * m)) * 2)];
  };
  let down = false;
  cv.addEventListener('pointerdown', (e) => {
    down = true; cv.setPointerCapture(e.pointerId); view.pad = at(e); player.setPad(view.pad);
    drawPad();
  });
  cv.addEventListener('pointermove', (e) => { if (down) { view.pad = at(e); player.setPad(view.pad); drawPad(); } });
  cv.addEventListener('pointerup', () => { down = false; });
  // A double click hands sensing back to the trace (the pad held the emotion until then).
  cv.addEventListener('dblclick', () => { view.pad = null; player.setPad(null); drawPad(); });
}

function bindControls() {
  $('play').addEventListener('click', async () => {
    view.history = [];
    await player.play($('mode').value);
    view.playing = true;
  });
  $('stop').addEventListener('click', () => { player.stop(); view.playing = false; view.status = null; draw(); });
  $('mode').addEventListener('change', () => { player.setMode($('mode').value); replan(); });
  $('trace-file').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    try {
      player.setTrace(await f.text(), f.name); // read locally: the file is never uploaded
      $('trace-name').textContent = `following ${f.name}`; message('');
      $('mode').querySelector('[value=scene]').disabled = false;
      $('mode').value = 'sensed'; // the viewer's own trace is what sensing gives
      player.setMode('sensed');
      replan();
    } catch (err) { message(err.message); }
  });
  player.onStatus = (st) => { showStatus(st); draw(); };
  bindListeners();
}

/** The listener cluster: chosen, or assigned from the viewer's own feedback log, in the page. */
function bindListeners() {
  $('cluster').addEventListener('change', () => {
    const v = $('cluster').value;
    player.setCluster(v === '' ? null : Number(v));
    $('cluster-note').textContent = '';
    replan();
  });
  $('feedback-file').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    try {
      const a = player.assignFromFeedback(await f.text(), f.name); // read here, never uploaded
      $('cluster').value = String(player.listeners.profiles.findIndex((p) => p.cluster === a.cluster));
      const p = Math.max(...a.posterior);
      $('cluster-note').textContent = `assigned on this device: ${a.name} (posterior ${p.toFixed(2)})`;
      message('');
      replan();
    } catch (err) { message(err.message); }
  });
}

function showListeners() {
  if (!player.listeners) { $('cluster-note').textContent = 'this package has no listener clusters'; return; }
  player.listeners.profiles.forEach((p, i) => {
    const o = document.createElement('option');
    o.value = String(i); o.textContent = p.label || p.name;
    $('cluster').append(o);
  });
  $('cluster').disabled = false; $('feedback-file').disabled = false;
}

async function main() {
  const q = new URLSearchParams(location.search);
  bindControls(); bindPad();
  const url = q.get('package') || '..';
  message(`Loading ${url} ...`, 'info');
  try {
    const m = await player.load(url, { codec: q.get('codec') || 'opus',
      onProgress: (i, n) => message(`Checking the package: ${i}/${n} files`, 'info') });
    if (q.get('trace')) { player.traceFromPackage(q.get('trace')); $('trace-name').textContent = q.get('trace'); }
    $('cue-name').textContent = m.cue.name;
    $('package-info').textContent = `${m.variants.length} variants, ${m.cue.tempo[0].bpm} BPM ${m.cue.meter.numerator}/${m.cue.meter.denominator}, `
      + `${player.pkg.files.size} files checked (SHA-256), ${player.codec === 'opus' ? 'Opus' : 'FLAC'} stems`
      + (player.scene ? ', scene curve included' : ', no scene curve');
    const mode = q.get('mode') || (player.trace ? 'sensed' : player.scene ? 'scene' : 'sensed');
    $('mode').value = mode;
    for (const id of ['play', 'stop', 'mode']) $(id).disabled = false;
    if (!player.scene && !player.trace) $('mode').querySelector('[value=scene]').disabled = true;
    showListeners();
    message('');
    replan();
    document.body.dataset.state = 'ready';
  } catch (err) {
    message(`Package refused: ${err.message}`);
    document.body.dataset.state = 'refused';
  }
}

main();
