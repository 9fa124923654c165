// sampleTokens' options: validated for every row before anything is written, then packed into
// the kernel's per-row parameter records (assembly/sample_tokens.ts, PARAM_BYTES each). Along a
// non-last axis, a row is a line (o, j) of the layout (src/layout.ts), numbered o * inner + j:
// per-line options and streams the same way, the records in planes for sample_tokens_axis.

import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, FAULT_SCALE, PARAM_BYTES } from "./abi.js";
import { addWords, checkStreamEnd, describe, isNumberArray, parseU64, type Words } from "./checks.js";
import type { Region } from "./memory.js";
import type { Call, RowChecks } from "./marshal.js";
import { SAMPLE_TOKENS, SAMPLE_TOKENS_AXIS } from "./specs.js";
import type { Streams } from "./streams.js";
import type { PerRow, SampleTokensOptions, U64 } from "./types.js";
import { checkOptions, optionKeys } from "./options.js";
import type { Layout } from "./layout.js";

export type { SampleTokensOptions } from "./types.js";

/**
 * The token stream layout this release's `sampleTokens` draws with: which random blocks give a
 * row's token, so the same seed and offset give the same token (README, "Token stream
 * layouts"). 2 since 0.7.0 (exact draws from the row's own blocks at counter (j, 0, 1 + i));
 * 1 before (Gumbel-Max with gumbelMax's noise).
 */
export const TOKEN_STREAM_LAYOUT = 2;

/** sampleTokens' option keys (an unknown one is a TypeError: src/options.ts). */
export const SAMPLE_TOKENS_KEYS = optionKeys<SampleTokensOptions>(
  { cols: true, shape: true, axis: true, keepDims: true, temperature: true, topK: true, topP: true, minP: true, seed: true, seeds: true, offset: true, offsets: true, out: true },
  { draws: "each call draws one token per row: repeat the rows (with their own seeds or offsets) for more" },
);

/**
 * Reusable views on a JS-side copy of the records, grown as calls need; the row checks of the
 * call they were last filled for (the kernel's: the rows' maxima, and lmax / T in float32).
 */
export class TokenParams implements RowChecks {
  private buf = new ArrayBuffer(0);
  f32 = new Float32Array(0);
  i32 = new Int32Array(0);
  u32 = new Uint32Array(0);
  private readonly w: Words = { lo: 0, hi: 0 };
  /** What one value of a per-row array is for, in errors: "row (2)", or a line of an axis. */
  private per = "";
  /** Where a strided call's records are in wasm memory (their planes), for its checks. */
  rec = 0;

  /** The records as bytes, for one copy into wasm memory. */
  bytes(rows: number): Uint8Array {
    return new Uint8Array(this.buf, 0, rows * PARAM_BYTES);
  }

  private reserve(rows: number): void {
    const bytes = rows * PARAM_BYTES;
    if (this.buf.byteLength >= bytes) return;
    this.buf = new ArrayBuffer(Math.max(bytes, this.buf.byteLength * 2, 256));
    this.f32 = new Float32Array(this.buf);
    this.i32 = new Int32Array(this.buf);
    this.u32 = new Uint32Array(this.buf);
  }

  /**
   * Validates the filters and temperature of every row (each line of `L` along a non-last
   * axis) and fills the records' first four words. Throws a named TypeError/RangeError on the
   * first bad value.
   */
  fill(fn: string, o: SampleTokensOptions, rows: number, L: Layout | null = null): void {
    this.reserve(rows);
    this.per = L === null || L.inner === 1 ? `row (${rows})` : `line (${rows}: shape [${L.full().join(", ")}] without its axis ${L.axis})`;
    const t = perRow(fn, "temperature", o.temperature, rows, this.per);
    const k = perRow(fn, "topK", o.topK, rows, this.per);
    const p = perRow(fn, "topP", o.topP, rows, this.per);
    const m = perRow(fn, "minP", o.minP, rows, this.per);
    const { f32, i32 } = this;
    for (let r = 0; r < rows; r++) {
      const q = r * 8;
      const tv = t === undefined ? 1 : at(t, r);
      const tf = Math.fround(tv);
      if (typeof tv !== "number" || !(tf >= 0) || tf === Infinity) {
        bad(fn, "temperature", t, r, tv, "must be 0 (greedy) or positive, and finite in float32");
      }
      f32[q] = tf;
      const kv = k === undefined ? 0 : at(k, r);
      if (typeof kv !== "number" || !Number.isInteger(kv) || kv < 0) bad(fn, "topK", k, r, kv, "must be an integer >= 0 (0: no top-k)");
      i32[q + 1] = Math.min(kv, 0x7fffffff);
      const pv = p === undefined ? 1 : at(p, r);
      if (typeof pv !== "number" || !(pv > 0 && pv <= 1)) bad(fn, "topP", p, r, pv, "must be in (0, 1] (1: no top-p)");
      // A p below float32's range keeps the largest token(s), as any p > 0 does.
      f32[q + 2] = Math.max(pv, 1.401298464324817e-45);
      const mv = m === undefined ? 0 : at(m, r);
      if (typeof mv !== "number" || !(mv >= 0 && mv <= 1)) bad(fn, "minP", m, r, mv, "must be in [0, 1] (0: no min-p)");
      f32[q + 3] = mv;
    }
  }

  /**
   * Every row checked as the kernel checks it first (rowMax, then t > 0 ? lmax / t : 0 in
   * float32, exact in JS), on the calling thread: the first bad row's error. Lines along a
   * non-last axis: the kernel's own check (sample_tokens_axis_check) on the records' planes.
   */
  all(c: Call): void {
    const L = c.layout;
    if (L.inner > 1) {
      const bad = c.host.kernels.sample_tokens_axis_check(c.in1.ptr, L.outer, L.kCols, L.inner, this.rec);
      if (bad >= 0) this.row(c, bad);
      return;
    }
    const { rows, cols } = c;
    const max = c.stage(rows * 4);
    c.host.kernels.row_max(c.in1.ptr, max, rows, cols);
    const m = new Float32Array(c.memory.buffer, max, rows);
    for (let r = 0; r < rows; r++) {
      const t = this.f32[r * 8]!;
      const s = t > 0 ? Math.fround(m[r]! / t) : 0;
      const fault = m[r] !== m[r] ? FAULT_NAN : m[r] === Infinity ? FAULT_POS_INF : m[r] === -Infinity ? FAULT_ALL_NEG_INF : s - s !== 0 ? FAULT_SCALE : 0;
      if (fault) this.fault(c, r, fault);
    }
  }

  row(c: Call, row: number): never {
    return this.fault(c, row, c.host.kernels.check_fault());
  }

  /** Row (or line) `row`'s error: as every call's (rowError), or its temperature overflowing float32. */
  private fault(c: Call, row: number, fault: number): never {
    const L = c.layout;
    const strided = L.inner > 1;
    if (fault !== FAULT_SCALE) c.rowFault(c.in1, row, strided ? L.classes : c.cols, fault, strided ? L : null);
    c.freeFresh();
    const n = strided ? L.classes : c.cols;
    const step = strided ? L.inner : 1;
    const o = Math.floor(row / L.inner);
    const first = strided ? o * L.kCols + (row - o * L.inner) : row * n;
    const x = new Float32Array(c.memory.buffer, c.in1.ptr + first * 4, (n - 1) * step + 1);
    let m = -Infinity;
    for (let k = 0; k < n; k++) if (x[k * step]! > m) m = x[k * step]!;
    c.release();
    const where = strided ? `logits[${L.index(row, ":")}]` : `row ${row} of logits`;
    throw new RangeError(`${c.fn}: ${where} divided by its temperature ${this.f32[row * 8]} overflows float32 (largest logit ${m})`);
  }

  /** Sets every row's stream: key (k0, k1) and first counter, row r at counter + r * stride. */
  shared(rows: number, key: Words, counter: Words, stride: number): void {
    const { u32, w } = this;
    for (let r = 0; r < rows; r++) {
      const q = r * 8;
      addWords(counter, r * stride, w);
      u32[q + 4] = key.lo;
      u32[q + 5] = key.hi;
      u32[q + 6] = w.lo;
      u32[q + 7] = w.hi;
    }
  }

  /**
   * The streams of lines (o, j) along a non-last axis from one stream: class c of line
   * o * inner + j at counter + o * kCols + c * inner + j (its flat index: the kernel's step is
   * inner), so line l starts at counter + o * kCols + j.
   */
  sharedLines(L: Layout, key: Words, counter: Words): void {
    const { u32, w } = this;
    const { inner, kCols } = L;
    for (let l = 0; l < L.lines; l++) {
      const q = l * 8;
      const o = Math.floor(l / inner);
      addWords(counter, o * kCols + (l - o * inner), w);
      u32[q + 4] = key.lo;
      u32[q + 5] = key.hi;
      u32[q + 6] = w.lo;
      u32[q + 7] = w.hi;
    }
  }

  /** The records of `lines` lines into wasm memory at `ptr` as sample_tokens_axis reads them: field f of line l at word f * lines + l. */
  planes(memory: WebAssembly.Memory, ptr: number, lines: number): void {
    const dst = new Uint32Array(memory.buffer, ptr, lines * 8);
    const { u32 } = this;
    for (let f = 0; f < 8; f++) {
      const at = f * lines;
      for (let l = 0; l < lines; l++) dst[at + l] = u32[l * 8 + f]!;
    }
  }

  /**
   * Per-row streams: `seeds` (one key per row) or `seed` (one key for all), and `offsets` (one
   * first counter per row) or `offset` (the same first counter for every row).
   */
  perRowStreams(fn: string, o: SampleTokensOptions, rows: number, cols: number): void {
    const { u32, w } = this;
    const seeds = o.seeds === undefined ? undefined : u64s(fn, "seeds", o.seeds, rows, this.per);
    const offsets = o.offsets === undefined ? undefined : u64s(fn, "offsets", o.offsets, rows, this.per);
    if (!seeds) parseU64(fn, "seed", o.seed, w);
    const k0 = w.lo;
    const k1 = w.hi;
    for (let r = 0; r < rows; r++) {
      const q = r * 8;
      if (seeds) parseU64(fn, `seeds[${r}]`, seeds[r], w);
      u32[q + 4] = seeds ? w.lo : k0;
      u32[q + 5] = seeds ? w.hi : k1;
      const off = offsets ? offsets[r] : o.offset;
      if (off === undefined) w.lo = w.hi = 0;
      else parseU64(fn, offsets ? `offsets[${r}]` : "offset", off, w);
      checkStreamEnd(fn, w, cols);
      u32[q + 6] = w.lo;
      u32[q + 7] = w.hi;
    }
  }
}

/** `per`: what one value is for, and how many there are ("row (2)"). */
function perRow(fn: string, name: string, v: unknown, rows: number, per: string): PerRow | undefined {
  if (v === undefined || typeof v === "number") return v;
  if (!isNumberArray(v)) throw new TypeError(`${fn}: ${name} must be a number or one number per row, got ${describe(v)}`);
  if (v.length !== rows) throw new RangeError(`${fn}: ${name} has ${v.length} values, expected one per ${per}`);
  return v;
}

function at(v: PerRow, r: number): number {
  return typeof v === "number" ? v : v[r]!;
}

function bad(fn: string, name: string, all: PerRow | undefined, r: number, v: unknown, what: string): never {
  const where = typeof all === "number" || all === undefined ? name : `${name}[${r}]`;
  if (typeof v !== "number") throw new TypeError(`${fn}: ${where} must be a number, got ${describe(v)}`);
  throw new RangeError(`${fn}: ${where} ${what}, got ${v}`);
}

function u64s(fn: string, name: string, v: unknown, rows: number, per: string): ArrayLike<U64> {
  const ok = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!ok) throw new TypeError(`${fn}: ${name} must be an array (one value per row), got ${describe(v)}`);
  const a = v as ArrayLike<U64>;
  if (a.length !== rows) throw new RangeError(`${fn}: ${name} has ${a.length} values, expected one per ${per}`);
  return a;
}

/**
 * sampleTokens prepared: options validated for every row (line) and packed into the records,
 * the logits placed, the launch set (a synchronous call runs it at once). The records and work
 * space are `workspace` (the synchronous call's, reused) or, when null, blocks of the call's
 * own (an async call, whose workers may still read them when the next call begins). The
 * classes last: sample_tokens on rows; along a non-last axis: sample_tokens_axis on the
 * input where it is, one token per line, the records in planes.
 */
export function prepareTokens(
  c: Call, s: Streams, params: TokenParams, workspace: Region | null, logits: unknown, given: SampleTokensOptions | undefined,
): void {
  const fn = c.fn;
  checkOptions(fn, given, SAMPLE_TOKENS_KEYS);
  const options = given ?? {};
  const a = c.operand("logits", logits, c.in1);
  const L = c.resolveLayout(options, a);
  const { outer, classes, inner, lines } = L;
  params.fill(fn, options, lines, L);
  if (options.seeds !== undefined && options.seed !== undefined) throw new TypeError(`${fn}: give seed or seeds, not both`);
  if (options.offsets !== undefined && options.offset !== undefined) throw new TypeError(`${fn}: give offset or offsets, not both`);
  if (options.seeds === undefined && options.offsets === undefined) {
    s.resolve(fn, options, lines * classes);
    if (inner === 1) params.shared(lines, s.key, s.counter, classes);
    else params.sharedLines(L, s.key, s.counter);
  } else {
    if (options.seeds === undefined && options.seed === undefined) throw new TypeError(`${fn}: offsets needs a seed or seeds`);
    params.perRowStreams(fn, options, lines, classes);
    s.none();
  }
  const out = c.outPlan("out", options.out, "int32", lines, 1, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "reduced");
  c.stageOperands(a, null, out, null);
  const kernels = c.host.kernels;
  const pBytes = lines * PARAM_BYTES;
  const wBytes = Math.ceil((inner === 1 ? kernels.sample_tokens_work(classes) : kernels.sample_tokens_axis_work(classes)) / 16) * 16;
  const rec = workspace ? workspace.reserve(c.host.heap, pBytes + wBytes) : c.stage(pBytes + wBytes);
  if (inner === 1) new Uint8Array(c.memory.buffer, rec, pBytes).set(params.bytes(lines));
  else params.planes(c.memory, rec, lines);
  params.rec = rec;
  c.allocFresh(out);
  c.work = wBytes;
  c.checks = params;
  if (inner === 1) {
    if (c.runsNow(1)) c.ranNow(SAMPLE_TOKENS, outer, classes, kernels.sample_tokens(a.ptr, out.ptr, outer, classes, rec, rec + pBytes));
    else c.launch(SAMPLE_TOKENS, outer, classes, null, a.ptr, out.ptr, outer, classes, rec, rec + pBytes);
    return;
  }
  const kCols = L.kCols;
  if (c.runsNow(1)) c.ranNow(SAMPLE_TOKENS_AXIS, outer, kCols, kernels.sample_tokens_axis(a.ptr, out.ptr, outer, kCols, inner, rec, lines, rec + pBytes));
  else c.launch(SAMPLE_TOKENS_AXIS, outer, kCols, null, a.ptr, out.ptr, outer, kCols, inner, rec, lines, rec + pBytes);
}
