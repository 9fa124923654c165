// sampleTokens' options: validated for every row before anything is written, then packed into
// the kernel's per-row parameter records (assembly/sample_tokens.ts, PARAM_BYTES each).

import { checkStreamEnd, describe, isNumberArray, parseU64, type Words } from "./args.js";
import type { ShapeOptions, U64 } from "./gumbel.js";
import { optionKeys } from "./options.js";
import type { Tensor } from "./memory.js";

/** Bytes of one row's record: temperature, topK, topP, minP (f32/i32), key and counter (u32 x 4). */
export const PARAM_BYTES = 32;
const TWO32 = 4294967296;

/** A value for every row (a number) or one per row (an array of `rows` numbers). */
export type PerRow = number | ArrayLike<number>;

export interface SampleTokensOptions extends ShapeOptions {
  /** Temperature T >= 0, finite; default 1. 0 is greedy: the first largest logit, no noise. */
  temperature?: PerRow;
  /** Keep the k tokens of largest logit (and any tied with the k-th); 0 (default) keeps all. */
  topK?: PerRow;
  /** Nucleus: keep the fewest largest tokens whose probability reaches p, in (0, 1]; default 1 (off). */
  topP?: PerRow;
  /** Keep tokens with probability >= minP * the largest probability, in [0, 1]; default 0 (off). */
  minP?: PerRow;
  /** One stream for the whole batch: row r draws elements offset + r * cols + k. */
  seed?: U64;
  /** One stream per row (a request's own seed): row r draws elements offset + k of seeds[r]. */
  seeds?: ArrayLike<U64>;
  /** First stream element (see seed and seeds); default 0. */
  offset?: U64;
  /** One first element per row (with seed or seeds): row r draws offsets[r] + k. */
  offsets?: ArrayLike<U64>;
  /** Where to write the tokens: `rows` int32 values. */
  out?: Int32Array | Tensor<"int32">;
}

/** sampleTokens' option keys (an unknown one is a TypeError: src/options.ts). */
export const SAMPLE_TOKENS_KEYS = optionKeys<SampleTokensOptions>(
  { cols: true, temperature: true, topK: true, topP: true, minP: true, seed: true, seeds: true, offset: true, offsets: true, out: true },
  { draws: "each call draws one token per row: repeat the rows (with their own seeds or offsets) for more" },
);

/** Reusable views on a JS-side copy of the records, grown as calls need. */
export class TokenParams {
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

  /** Sets every row's stream: key (k0, k1) and first counter, row r at counter + r * stride. */
  shared(rows: number, key: Words, counter: Words, stride: number): void {
    const { u32 } = this;
    for (let r = 0; r < rows; r++) {
      const q = r * 8;
      const lo = counter.lo + r * stride;
      u32[q + 4] = key.lo;
      u32[q + 5] = key.hi;
      u32[q + 6] = lo % TWO32;
      u32[q + 7] = (counter.hi + Math.floor(lo / TWO32)) % TWO32;
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
