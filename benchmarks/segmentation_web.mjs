// The web player's planned choice on a 2-hour trace: the window segmentation (the switch budget of
// 2 a minute, as the demo cue has) against the spacing's Viterbi, 3 runs each, in V8 (Chromium's
// engine).  The gains are a random walk of 5 variants' distances at 10 Hz, as planned mode makes them.
// Run: node benchmarks/segmentation_web.mjs
import { bestSequence, bestSequenceWindow } from '../player/js/segmentation.js';

let seed = 1;
const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
const n = 72000, nv = 5, rate = 10;
const dist = [new Array(nv).fill(0.5)];
for (let t = 1; t < n; t++) dist.push(dist[t - 1].map((x) => Math.abs(x + (rnd() - 0.5) * 0.04)));
const gain = dist.map((row) => row.map((x) => (x <= 0.5 ? 1 : 0) - 0.3 * x));
const time = (f) => { const t = performance.now(); const v = f(); return [(performance.now() - t) / 1000, v]; };
const runs = { window: [], spacing: [] };
for (let i = 0; i < 3; i++) {
  runs.window.push(time(() => bestSequenceWindow(gain, 0, 5 * rate, 60 * rate, 2 * rate))[0]);
  runs.spacing.push(time(() => bestSequence(gain, 0, 30 * rate, 2 * rate))[0]);
}
const fmt = (xs) => xs.slice().sort((a, b) => a - b).map((x) => x.toFixed(2)).join(' / ');
console.log(`2 h at 10 Hz (${n} ticks), ${nv} variants, min / median / max of 3 runs:`);
console.log(`  window segmentation (budget 2 in any 60 s): ${fmt(runs.window)} s`);
console.log(`  spacing Viterbi (30 s between switches):    ${fmt(runs.spacing)} s`);
