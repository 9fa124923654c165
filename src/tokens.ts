// sampleTokens' options: validated for every row before anything is written, then packed into
// the kernel's per-row parameter records (assembly/sample_tokens.ts, PARAM_BYTES each).

import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, FAULT_SCALE, PARAM_BYTES } from "./abi.js";
import { addWords, checkStreamEnd, describe, isNumberArray, parseU64, type Words } from "./checks.js";
import type { Region } from "./memory.js";
import type { Call, RowChecks } from "./marshal.js";
import { SAMPLE_TOKENS } from "./specs.js";
import type { Streams } from "./streams.js";
import type { PerRow, SampleTokensOptions, U64 } from "./types.js";
import { checkOptions, optionKeys } from "./options.js";
import { notStrided } from "./layout.js";

export type { SampleTokensOptions } from "./types.js";

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
   * Validates the filters and temperature of every row and fills the records' first four
   * words. Throws a named TypeError/RangeError on the first bad value.
   */
  fill(fn: string, o: SampleTokensOptions, rows: number): void {
    this.reserve(rows);
    const t = perRow(fn, "temperature", o.temperature, rows);
    const k = perRow(fn, "topK", o.topK, rows);
    const p = perRow(fn, "topP", o.topP, rows);
    const m = perRow(fn, "minP", o.minP, rows);
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
   * float32, exact in JS), on the calling thread: the first bad row's error.
   */
  all(c: Call): void {
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

  /** Row `row`'s error: as every call's (rowError), or its temperature overflowing float32. */
  private fault(c: Call, row: number, fault: number): never {
    if (fault !== FAULT_SCALE) c.rowFault(c.in1, row, c.cols, fault);
    c.freeFresh();
    const { cols } = c;
    const x = new Float32Array(c.memory.buffer, c.in1.ptr + row * cols * 4, cols);
    let m = -Infinity;
    for (let k = 0; k < cols; k++) if (x[k]! > m) m = x[k]!;
    c.release();
    throw new RangeError(`${c.fn}: row ${row} of logits divided by its temperature ${this.f32[row * 8]} overflows float32 (largest logit ${m})`);
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
   * Per-row streams: `seeds` (one key per row) or `seed` (one key for all), and `offsets` (one
   * first counter per row) or `offset` (the same first counter for every row).
   */
  perRowStreams(fn: string, o: SampleTokensOptions, rows: number, cols: number): void {
    const { u32, w } = this;
    const seeds = o.seeds === undefined ? undefined : u64s(fn, "seeds", o.seeds, rows);
    const offsets = o.offsets === undefined ? undefined : u64s(fn, "offsets", o.offsets, rows);
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

function perRow(fn: string, name: string, v: unknown, rows: number): PerRow | undefined {
  if (v === undefined || typeof v === "number") return v;
  if (!isNumberArray(v)) throw new TypeError(`${fn}: ${name} must be a number or one number per row, got ${describe(v)}`);
  if (v.length !== rows) throw new RangeError(`${fn}: ${name} has ${v.length} values, expected one per row (${rows})`);
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

function u64s(fn: string, name: string, v: unknown, rows: number): ArrayLike<U64> {
  const ok = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!ok) throw new TypeError(`${fn}: ${name} must be an array (one value per row), got ${describe(v)}`);
  const a = v as ArrayLike<U64>;
  if (a.length !== rows) throw new RangeError(`${fn}: ${name} has ${a.length} values, expected one per row (${rows})`);
  return a;
}

/**
 * sampleTokens prepared: options validated for every row and packed into the records, the
 * logits placed, the launch set (a synchronous call runs it at once). The records and work
 * space are `workspace` (the synchronous call's, reused) or, when null, blocks of the call's
 * own (an async call, whose workers may still read them when the next call begins).
 */
export function prepareTokens(
  c: Call, s: Streams, params: TokenParams, workspace: Region | null, logits: unknown, given: SampleTokensOptions | undefined,
): void {
  const fn = c.fn;
  checkOptions(fn, given, SAMPLE_TOKENS_KEYS);
  const options = given ?? {};
  const a = c.operand("logits", logits, c.in1);
  const L = c.resolveLayout(options, a);
  if (L.inner > 1) notStrided(fn, L);
  const rows = L.outer;
  const cols = L.classes;
  params.fill(fn, options, rows);
  if (options.seeds !== undefined && options.seed !== undefined) throw new TypeError(`${fn}: give seed or seeds, not both`);
  if (options.offsets !== undefined && options.offset !== undefined) throw new TypeError(`${fn}: give offset or offsets, not both`);
  if (options.seeds === undefined && options.offsets === undefined) {
    s.resolve(fn, options, rows * cols);
    params.shared(rows, s.key, s.counter, cols);
  } else {
    if (options.seeds === undefined && options.seed === undefined) throw new TypeError(`${fn}: offsets needs a seed or seeds`);
    params.perRowStreams(fn, options, rows, cols);
    s.none();
  }
  const out = c.outPlan("out", options.out, "int32", rows, 1, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "reduced");
  c.stageOperands(a, null, out, null);
  const kernels = c.host.kernels;
  const pBytes = rows * PARAM_BYTES;
  const wBytes = Math.ceil(kernels.sample_tokens_work(cols) / 16) * 16;
  const rec = workspace ? workspace.reserve(c.host.heap, pBytes + wBytes) : c.stage(pBytes + wBytes);
  new Uint8Array(c.memory.buffer, rec, pBytes).set(params.bytes(rows));
  c.allocFresh(out);
  c.work = wBytes;
  c.checks = params;
  if (c.runsNow(1)) c.ranNow(SAMPLE_TOKENS, rows, cols, kernels.sample_tokens(a.ptr, out.ptr, rows, cols, rec, rec + pBytes));
  else c.launch(SAMPLE_TOKENS, rows, cols, null, a.ptr, out.ptr, rows, cols, rec, rec + pBytes);
}
