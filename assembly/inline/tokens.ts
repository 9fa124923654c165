// One row of the LLM token sampler (sample_tokens, sample_tokens_axis): a temperature, then
// the top-k, top-p (nucleus) and min-p filters in this order (Hugging Face transformers'
// order), then an exact draw from the softmax of the tokens kept (token stream layout 2: the
// draws of inline/draw.ts, no noise per token). Temperature 0 is greedy: the first largest logit.
//
// Every filter keeps a set {k : l_k >= theta} (tokens with equal logits are kept or dropped
// together), with weights w_k = expf((l_k - lmax) / T) (softmax's bits), and none sorts the
// row. One read pass gives the row's block maxima (blocks of 64 tokens, and of their quarters)
// and validates it; then:
// - top-k: theta is the k-th largest logit (counting repeats). The k-th largest block maximum
//   bounds it from below (k blocks hold an element at least that large), so only the blocks
//   reaching that bound are scanned for candidates, and a three-way quickselect finds theta
//   among them. Top-p and min-p then apply to that list, and the token is its inverse CDF.
// - top-p alone (with or without min-p): theta is the smallest logit whose tokens above it
//   (strictly larger logits) weigh less than p of the row's mass Z. The tokens above a floor
//   (from a histogram of the block bounds: the fewest blocks that leave out less than 1/16 of
//   the mass by their bounds) form H, gathered from the blocks that reach it with their exact
//   mass; the rest of the row is bounded from its block and quarter maxima (16 tokens each), so
//   Z is known within [zLo, zHi]. The nucleus for zHi contains the true one, which contains the
//   nucleus for zLo: a token drawn from the first (inverse CDF over H) is kept when it lies in
//   the last; otherwise one more pass (coldMass: 2^y read off float bits, within 7 %) tightens
//   the bounds, and if the token is still between them Z is summed exactly: the token kept if
//   it lies in the true nucleus, else drawn again from it. That is rejection sampling: exactly
//   the law of the nucleus. When the nucleus may reach below H (flat rows), Z is summed exactly
//   first, the cut's bucket of weights (binary exponent and 3 mantissa bits) is found from a
//   histogram and checked with exact sums, the cut is selected among that bucket's tokens, and
//   the token comes by rejection with the cut as a floor.
// - min-p alone: keeps s_k = (l_k - lmax) / T >= log(minP); a list when its tokens lie in a few
//   blocks, else rejection from the block maxima restricted to blocks that reach the floor.
// - no filter: rejection from the block maxima (rows of SMALL tokens or fewer: the inverse CDF).

import {
  bandMass, belowMass, blockCount, blockMaxima, blockWeights, coldMass, countBlocks, gatherBand, gatherBlocks, gatherHeavy, listDraw,
  massAtLeast, nucleusBucket, pair, paths, rejectDraw, rowDraw, rowMass, startDraws, subBlockBounds,
} from "./draw";
import { expf } from "./exp";
import { logf } from "./log";
import { firstEqual, rowMax } from "./row";
import { invTemperature } from "./tau";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, FAULT_SCALE, setFault } from "./validate";

/** A row's parameters, PARAM_BYTES: temperature, topK, topP, minP, key, first counter. */
export const P_TEMP: usize = 0; // f32, 0 = greedy
const P_TOPK: usize = 4; // i32, 0 (or >= cols) = off
const P_TOPP: usize = 8; // f32 in (0, 1], 1 = off
const P_MINP: usize = 12; // f32 in [0, 1], 0 = off
const P_K0: usize = 16;
const P_K1: usize = 20;
const P_JLO: usize = 24;
const P_JHI: usize = 28;
/** Bytes of sample_tokens' parameters per row: temperature (f32), topK (i32), topP, minP (f32), k0, k1, jLo, jHi (u32). */
export const PARAM_BYTES: i32 = 32;
/** The paths of inline/draw.ts' `paths` bits. */
const PATH_GREEDY: i32 = 1;
const PATH_ROW_LIST: i32 = 2; // no filter, a short row: the inverse CDF
const PATH_REJECT: i32 = 4; // no filter or min-p: rejection from the block maxima
const PATH_MINP_LIST: i32 = 8;
const PATH_TOPK: i32 = 16;
const PATH_TOPP_HOT: i32 = 32; // top-p decided from H and the bounds of Z
const PATH_TOPP_AMBIGUOUS: i32 = 64; // ... after the exact mass
const PATH_TOPP_REDRAW: i32 = 128; // ... and a second draw from the exact nucleus
const PATH_TOPP_EXACT: i32 = 256; // the exact mass first, the candidates listed
const PATH_TOPP_EXACT_REJECT: i32 = 512; // ... too many: rejection with the cut as a floor
const PATH_TOPP_REFINED: i32 = 2048; // top-p's bounds of Z refined by coldMass
const PATH_TOPP_EXACT_BAND: i32 = 4096; // the exact mass, the cut selected in its bucket of weights
/** Rows of this many tokens or fewer, unfiltered: the inverse CDF over the row. */
const SMALL: i32 = 256;
/** Top-p's exact path: rows this long find the cut's bucket of weights first, in at most BUCKET_STEPS moves. */
const HIST_MIN: i32 = 4096;
const BUCKET_STEPS: i32 = 4;
/** Top-p's exact path: the inverse CDF over at most this many candidates, else rejection. */
const LIST_MAX: i32 = 4096;
/** Min-p alone: a list when the blocks reaching its floor are at most this many. */
const LIST_BLOCKS: i32 = 32;
/** Top-p: gather from at most 1 / HOT_SHARE of the blocks. */
const HOT_SHARE: i32 = 8;
/** Top-p: refine the bounds of Z at once when they are wider than 1 / TIGHT of the gathered mass (else when a draw needs it). */
const TIGHT: f64 = 4;
/** coldMass's bound and 1 / its largest overestimate (1.0615), with margins for float32 rounding. */
const COLD_HI: f64 = 1.001;
const COLD_LO: f64 = 0.93;
/** Top-p: the blocks left out of H bound at most 1 / SLACK_SHARE of the mass. */
const SLACK_SHARE: f64 = 16;
const LN2_F: f32 = 0.6931472;
/** Pruning margin for top-p's candidates by weight (covers float rounding of the sums by far). */
const CUT_MARGIN: f64 = 0.999;
/** Relative margins of the bounds of Z: float32 rounding of block bounds, float64 of the sums. */
const BOUND_SLACK: f64 = 9.5367431640625e-7; // 2^-20
const SUM_SLACK: f64 = 9.094947017729282e-13; // 2^-40

/**
 * The bytes of work space sampleTokenRow needs for a row of `n`: block maxima and bounds (4
 * bytes each), prefix sums (8), sub-block maxima (16); candidates and selection pairs (8 + 8 per token), weights (4 + 4).
 */
// @ts-ignore: decorator
@inline
export function tokenRowWork(n: i32): i32 {
  return n * 24 + blockCount(n) * 32 + 32 + 768;
}

/**
 * Why a row (or line) whose largest logit is m (rowMax: NaN if it holds one) cannot be sampled
 * at temperature t: NaN, +Inf, all -Inf, or m / t overflowing float32; 0 when it can.
 */
// @ts-ignore: decorator
@inline
export function tokenFault(m: f32, t: f32): i32 {
  const s = t > 0 ? m / t : 0;
  if (m != m) return FAULT_NAN;
  if (m == Infinity) return FAULT_POS_INF;
  if (m == -Infinity) return FAULT_ALL_NEG_INF;
  if (s - s != 0) return FAULT_SCALE;
  return 0;
}

/**
 * The token of one row lr[0 .. n) with the parameters at p (PARAM_BYTES), using
 * tokenRowWork(n) bytes at work; its draws come from the row's key and first stream element.
 * The row is validated in the sampler's own pass (the greedy one's row maximum): a bad one sets
 * the fault (tokenFault) and gives -1.
 */
export function sampleTokenRow(lr: usize, n: i32, p: usize, work: usize): i32 {
  const t = load<f32>(p, P_TEMP);
  if (t == 0) {
    paths |= PATH_GREEDY;
    const m = rowMax(lr, n);
    const f = tokenFault(m, t);
    if (f != 0) {
      setFault(f);
      return -1;
    }
    return firstEqual(lr, n, m);
  }
  const topK = load<i32>(p, P_TOPK);
  const topP = load<f32>(p, P_TOPP);
  const minP = load<f32>(p, P_MINP);
  startDraws(load<u32>(p, P_K0), load<u32>(p, P_K1), (<u64>load<u32>(p, P_JHI) << 32) | <u64>load<u32>(p, P_JLO));
  const nb = blockCount(n);
  const bm = work; // nb floats: block maxima
  const ub = bm + (<usize>nb << 2); // nb floats: block bounds
  const cum = (ub + (<usize>nb << 2) + 7) & ~(<usize>7); // max(nb, 96) doubles: prefix sums, top-p's histogram
  const cand = cum + (<usize>max<i32>(nb, 96) << 3); // n pairs (logit, index)
  const sel = cand + (<usize>n << 3); // n pairs (logit, mass) to select in
  const wts = sel + (<usize>n << 3); // n floats: weights of a list
  const rw = wts + (<usize>n << 2); // n floats: the row's weights (top-p's exact mass)
  const sm = rw + (<usize>n << 2); // 4 nb floats: sub-block maxima
  const lmax = blockMaxima(lr, n, bm, sm);
  const f = tokenFault(lmax, t);
  if (f != 0) {
    setFault(f);
    return -1;
  }
  const invT = invTemperature(t);
  const lm: f32 = minP > 0 ? logf(minP) : -Infinity;
  if (topK > 0 && topK < n) {
    paths |= PATH_TOPK;
    return topKRow(lr, n, nb, bm, topK, topP, lm, lmax, invT, cand, sel, wts);
  }
  if (topP < 1) return topPRow(lr, n, nb, bm, sm, ub, cum, topP, lm, lmax, invT, cand, sel, wts, rw);
  if (minP > 0 && countBlocks(bm, nb, -Infinity, lmax, invT, lm) <= LIST_BLOCKS) {
    paths |= PATH_MINP_LIST;
    return listDraw(cand, gatherBlocks(lr, n, bm, nb, -Infinity, lmax, invT, lm, cand), wts, -Infinity, lmax, invT, lm);
  }
  if (minP == 0 && n <= SMALL) {
    paths |= PATH_ROW_LIST;
    return rowDraw(lr, n, wts, -Infinity, lmax, invT, -Infinity);
  }
  paths |= PATH_REJECT;
  return rejectDraw(lr, n, bm, ub, cum, -Infinity, lmax, invT, lm, wts);
}

/** Top-k (then top-p and min-p on its list): see the top. */
function topKRow(
  lr: usize, n: i32, nb: i32, bm: usize, topK: i32, topP: f32, lm: f32, lmax: f32, invT: f32, cand: usize, sel: usize, wts: usize,
): i32 {
  const bound = topK <= nb ? kthBlockMax(bm, nb, topK, sel) : -Infinity as f32;
  let c = gatherBlocks(lr, n, bm, nb, bound, lmax, invT, -Infinity, cand);
  for (let i = 0; i < c; i++) {
    store<f32>(pair(sel, i), load<f32>(pair(cand, i)));
    store<f32>(pair(sel, i), 1, 4);
  }
  c = keepAtLeast(cand, c, select(sel, c, <f64>topK));
  let theta = -Infinity as f32;
  if (topP < 1) theta = select(sel, masses(cand, c, sel, lmax, invT), <f64>topP * listMass);
  return listDraw(cand, c, wts, theta, lmax, invT, lm);
}

/** The mass of masses()' list. */
let listMass: f64 = 0;

/** sel = (logit, weight) of cand[0 .. c); listMass = their sum in list order; returns c. */
function masses(cand: usize, c: i32, sel: usize, lmax: f32, invT: f32): i32 {
  let z: f64 = 0;
  for (let i = 0; i < c; i++) {
    const l = load<f32>(pair(cand, i));
    const w = expf((l - lmax) * invT);
    store<f32>(pair(sel, i), l);
    store<f32>(pair(sel, i), w, 4);
    z += <f64>w;
  }
  listMass = z;
  return c;
}

/** Top-p without top-k (min-p after it): see the top. */
function topPRow(
  lr: usize, n: i32, nb: i32, bm: usize, sm: usize, ub: usize, cum: usize, topP: f32, lm: f32, lmax: f32, invT: f32, cand: usize, sel: usize, wts: usize, rw: usize,
): i32 {
  const p = <f64>topP;
  blockWeights(bm, ub, nb, lmax, invT);
  // The gathered tokens H: s >= lq (hotFloor). With min-p's floor at or above it, H holds
  // every kept token whatever the nucleus.
  subBlockBounds(sm, nb, lmax, invT, wts); // (wts is free until the draw)
  const lq = hotFloor(ub, wts, nb, cum, nb / HOT_SHARE);
  const holds = lm >= lq;
  const c = masses(cand, gatherBlocks(lr, n, bm, nb, -Infinity, lmax, invT, lq, cand), sel, lmax, invT);
  const zh = listMass;
  // The rest: each block not reaching H holds its maximum (ub_b) and at most the bound of its
  // sub-blocks' maxima (subBlockBound); the blocks reaching it hold the weight gatherBlocks
  // bounded (belowMass).
  const below = belowMass;
  let cold: f64 = 0;
  let coldHi: f64 = 0;
  for (let b = 0; b < nb; b++) {
    if ((load<f32>(bm + (<usize>b << 2)) - lmax) * invT >= lq) continue;
    cold += <f64>load<f32>(ub + (<usize>b << 2));
    coldHi += <f64>load<f32>(wts + (<usize>b << 2));
  }
  let zHi = zh + (coldHi * COLD_HI + below) * (1 + BOUND_SLACK);
  let zLo = zh + cold * (1 - BOUND_SLACK);
  let refined = false;
  // Even the lower bound leaves more than 1 - p outside H: only the exact mass can place the cut.
  if (!holds && zh < p * zLo) return exactTopP(lr, n, nb, bm, ub, cum, topP, lm, lmax, invT, cand, sel, wts, rw);
  if ((zHi - zLo) * TIGHT > zh || (!holds && zh < p * zHi)) {
    // Too loose: one more pass bounds the rest within 7 % (coldMass).
    paths |= PATH_TOPP_REFINED;
    refined = true;
    const rest = coldMass(lr, n, lmax, invT, lq);
    zHi = min<f64>(zHi, zh + rest * COLD_HI);
    zLo = max<f64>(zLo, zh + rest * COLD_LO);
  }
  // Tokens outside H lie below every token of H: out of the nucleus when zh >= p * zHi.
  if (!holds && zh < p * zHi * (1 + SUM_SLACK)) return exactTopP(lr, n, nb, bm, ub, cum, topP, lm, lmax, invT, cand, sel, wts, rw);
  paths |= PATH_TOPP_HOT;
  // Rejection: a token drawn from the nucleus for zHi (which holds the true one) is kept when
  // it lies in the nucleus for zLo (held by the true one); out of the true nucleus, drawn again.
  while (true) {
    const wide = select(sel, c, p * zHi * (1 + SUM_SLACK));
    const narrow = select(sel, c, p * zLo * (1 - SUM_SLACK));
    const k = listDraw(cand, c, wts, wide, lmax, invT, lm);
    const l = load<f32>(lr + (<usize>k << 2));
    if (l >= narrow) return k;
    if (!refined) {
      // Between the two: first the tighter bounds of one more pass.
      paths |= PATH_TOPP_REFINED;
      refined = true;
      const rest = coldMass(lr, n, lmax, invT, lq);
      zHi = min<f64>(zHi, zh + rest * COLD_HI);
      zLo = max<f64>(zLo, zh + rest * COLD_LO);
      if (l >= select(sel, c, p * zLo * (1 - SUM_SLACK))) return k;
      if (l < select(sel, c, p * zHi * (1 + SUM_SLACK))) continue;
    }
    // Still between: the exact mass decides.
    paths |= PATH_TOPP_AMBIGUOUS;
    const exact = select(sel, c, p * rowMass(lr, n, lmax, invT, rw));
    if (l >= exact) return k;
    paths |= PATH_TOPP_REDRAW;
    return listDraw(cand, c, wts, exact, lmax, invT, lm);
  }
  return -1; // (not reached)
}

/**
 * Top-p's floor for H: -j ln 2 for the smallest j (0 .. 63) such that the blocks of bound
 * ub_b < 2^-j weigh at most 1 / SLACK_SHARE of sum ub by their sub-block bounds sb_b, read off
 * a histogram of the blocks by ub's binary exponent; j smaller if more than `cap` blocks would
 * reach the floor. hist: 64 doubles and 64 words of work space.
 */
function hotFloor(ub: usize, sb: usize, nb: i32, hist: usize, cap: i32): f32 {
  const count = hist + 512;
  memory.fill(hist, 0, 768);
  let total: f64 = 0;
  let tail: f64 = 0;
  for (let b = 0; b < nb; b++) {
    const u = load<f32>(ub + (<usize>b << 2));
    if (u == 0) continue;
    // u in [2^-(j+1), 2^-j) for j = 126 - biased exponent (u <= 1: j = -1 for u = 1, taken as 0).
    const j = min<i32>(max<i32>(126 - (reinterpret<i32>(u) >>> 23), 0), 63);
    const s = <f64>load<f32>(sb + (<usize>b << 2));
    store<f64>(hist + (<usize>j << 3), load<f64>(hist + (<usize>j << 3)) + s);
    store<i32>(count + (<usize>j << 2), load<i32>(count + (<usize>j << 2)) + 1);
    total += <f64>u;
    tail += s;
  }
  // The floor 2^-(j+1) gathers buckets 0 .. j: the fewest that leave the slack target, within the cap.
  let reached = 0;
  let j = 0;
  for (; j < 63; j++) {
    tail -= load<f64>(hist + (<usize>j << 3));
    reached += load<i32>(count + (<usize>j << 2));
    if (reached > cap) {
      j--;
      break;
    }
    if (tail * SLACK_SHARE <= total) break;
  }
  return -<f32>(j + 1) * LN2_F;
}

/** The k-th largest of the nb block maxima (counting repeats), by quickselect on pairs in sel. */
function kthBlockMax(bm: usize, nb: i32, k: i32, sel: usize): f32 {
  for (let b = 0; b < nb; b++) {
    store<f32>(pair(sel, b), load<f32>(bm + (<usize>b << 2)));
    store<f32>(pair(sel, b), 1, 4);
  }
  return select(sel, nb, <f64>k);
}

/**
 * Top-p with the row's mass summed exactly (its weights into the row's weight array rw):
 * candidates of weight above (1 - p) Z / n, the cut selected exactly among them, then the
 * token from the candidates kept (a list when few, else by rejection with the cut as a floor).
 */
function exactTopP(
  lr: usize, n: i32, nb: i32, bm: usize, ub: usize, cum: usize, topP: f32, lm: f32, lmax: f32, invT: f32, cand: usize, sel: usize, wts: usize, rw: usize,
): i32 {
  paths |= PATH_TOPP_EXACT;
  const z = rowMass(lr, n, lmax, invT, rw);
  const target = <f64>topP * z;
  if (n >= HIST_MIN) {
    // The cut's bucket of weights: estimated from a histogram (of every 8th weight, then if
    // that misses of every weight), then moved until the tokens above it weigh less than the
    // target and those above its lower edge at least the target (exact sums): the tokens above
    // are all in the nucleus, those below all out, so only the bucket's own tokens are selected
    // among; then rejection with the cut as a floor.
    for (let stride = 8; stride > 0; stride -= 7) {
      let j = nucleusBucket(rw, n, sel, target, stride);
      for (let step = 0; step < BUCKET_STEPS; step++) {
        const hi = reinterpret<f32>(<u32>(j + 1) << 20);
        const above = massAtLeast(rw, n, hi);
        if (above >= target) {
          j++;
          continue;
        }
        const c = gatherBand(lr, rw, n, reinterpret<f32>(<u32>j << 20), hi, sel);
        if (above + bandMass < target) {
          if (j == 0) break;
          j--;
          continue;
        }
        paths |= PATH_TOPP_EXACT_BAND;
        return rejectDraw(lr, n, bm, ub, cum, select(sel, c, target - above), lmax, invT, lm, wts);
      }
    }
  }
  const cut = <f32>((1 - <f64>topP) * z / <f64>n * CUT_MARGIN);
  const c = gatherHeavy(lr, rw, n, cut, cand);
  for (let i = 0; i < c; i++) {
    store<f32>(pair(sel, i), load<f32>(pair(cand, i)));
    store<f32>(pair(sel, i), load<f32>(rw + (<usize>load<i32>(pair(cand, i), 4) << 2)), 4);
  }
  const theta = select(sel, c, <f64>topP * z);
  if (c <= LIST_MAX) return listDraw(cand, c, wts, theta, lmax, invT, lm);
  paths |= PATH_TOPP_EXACT_REJECT;
  return rejectDraw(lr, n, bm, ub, cum, theta, lmax, invT, lm, wts);
}

/** Keeps the pairs whose logit is >= theta, in order; returns the count. */
function keepAtLeast(cand: usize, c: i32, theta: f32): i32 {
  let j = 0;
  for (let i = 0; i < c; i++) {
    if (load<f32>(pair(cand, i)) >= theta) {
      store<u64>(pair(cand, j), load<u64>(pair(cand, i)));
      j++;
    }
  }
  return j;
}

/**
 * The smallest value v of pairs (value, mass) such that the pairs of values strictly larger
 * than v weigh less than `target` (> 0): a three-way quickselect that keeps the mass above
 * its window. Permutes the pairs.
 */
function select(a: usize, c: i32, target: f64): f32 {
  let lo = 0;
  let hi = c;
  let above: f64 = 0;
  let best = Infinity as f32;
  while (lo < hi) {
    const x = load<f32>(pair(a, lo));
    const y = load<f32>(pair(a, (lo + hi) >> 1));
    const z = load<f32>(pair(a, hi - 1));
    // Median of three.
    const pivot = max<f32>(min<f32>(x, y), min<f32>(max<f32>(x, y), z));
    // [lo, gt): > pivot, [gt, i): == pivot, [lt, hi): < pivot.
    let gt = lo;
    let i = lo;
    let lt = hi;
    let massGt: f64 = 0;
    let massEq: f64 = 0;
    while (i < lt) {
      const v = load<f32>(pair(a, i));
      if (v > pivot) {
        massGt += <f64>load<f32>(pair(a, i), 4);
        swapPairs(a, i, gt);
        gt++;
        i++;
      } else if (v < pivot) {
        lt--;
        swapPairs(a, i, lt);
      } else {
        massEq += <f64>load<f32>(pair(a, i), 4);
        i++;
      }
    }
    if (above + massGt < target) {
      // The pivot qualifies: the answer is it or a smaller value.
      best = pivot;
      above += massGt + massEq;
      lo = lt;
    } else {
      hi = gt;
    }
  }
  return best;
}

// @ts-ignore: decorator
@inline
function swapPairs(a: usize, i: i32, j: i32): void {
  const t = load<u64>(pair(a, i));
  store<u64>(pair(a, i), load<u64>(pair(a, j)));
  store<u64>(pair(a, j), t);
}

