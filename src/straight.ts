// The straight-through estimators, Gumbel-Rao and Gapped ST, as call preparations (see
// softmax.ts). Forward: the one-hot sample of `gumbelMax` (same seed and offset, same index) and,
// into `soft`, the surrogate the gradient flows through. Backward: its VJP, the noise recomputed
// from the seed and offset (which it therefore requires). Either draws rows*cols stream elements.
// Classes along a non-last axis (`shape`, `axis`): the strided kernels (assembly/straight_axis.ts),
// the noise of each element the same as with the classes last (its row-major index).

import { STRAIGHT_AXIS_LINES } from "./abi.js";
import {
  GAPPED_ST, GAPPED_ST_AXIS, GAPPED_ST_AXIS_BACKWARD, GAPPED_ST_BACKWARD, GUMBEL_RAO, GUMBEL_RAO_AXIS, GUMBEL_RAO_AXIS_BACKWARD,
  GUMBEL_RAO_BACKWARD, type RowSpec,
} from "./specs.js";
import { checkKappa, checkSamples } from "./checks.js";
import type { Call } from "./marshal.js";
import { checkOptions, NOTES, optionKeys, type OptionKeys } from "./options.js";
import type { Streams } from "./streams.js";
import { layoutTau } from "./layout.js";
import type { GappedSTOptions, GumbelRaoOptions, StraightForward } from "./types.js";

const ALWAYS_HARD = "the output is always one-hot: pass soft to receive the surrogate";
const SOFT_FORWARD = "soft is the forward call's output: the backward recomputes it from seed and offset";
const { DRAWS_PER_ROW } = NOTES;
/** Each estimator's keys: [forward, backward], Gumbel-Rao (op 0) then Gapped ST (op 1). */
const KEYS: ReadonlyArray<readonly [OptionKeys, OptionKeys]> = [
  [
    optionKeys<GumbelRaoOptions & StraightForward>(
      { cols: true, shape: true, axis: true, tau: true, samples: true, soft: true, seed: true, offset: true, out: true },
      { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD } },
    ),
    optionKeys<GumbelRaoOptions>(
      { cols: true, shape: true, axis: true, tau: true, samples: true, seed: true, offset: true, out: true },
      { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD, soft: SOFT_FORWARD } },
    ),
  ],
  [
    optionKeys<GappedSTOptions & StraightForward>(
      { cols: true, shape: true, axis: true, tau: true, kappa: true, soft: true, seed: true, offset: true, out: true },
      { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD } },
    ),
    optionKeys<GappedSTOptions>(
      { cols: true, shape: true, axis: true, tau: true, kappa: true, seed: true, offset: true, out: true },
      { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD, soft: SOFT_FORWARD } },
    ),
  ],
];

/** The launches: [op][backward], the row kernels then the strided ones. */
const SPECS: ReadonlyArray<ReadonlyArray<readonly [RowSpec, RowSpec]>> = [
  [[GUMBEL_RAO, GUMBEL_RAO_BACKWARD], [GAPPED_ST, GAPPED_ST_BACKWARD]],
  [[GUMBEL_RAO_AXIS, GUMBEL_RAO_AXIS_BACKWARD], [GAPPED_ST_AXIS, GAPPED_ST_AXIS_BACKWARD]],
];

/**
 * Gumbel-Rao (op 0) or Gapped ST (1): the forward when dy is null (one-hot into out1, the
 * surrogate into out2 when `soft` is given), else the backward (dlogits into out1; Gumbel-Rao's
 * backward holds its draws in out2's staging: a row, or along a non-last axis the draws of up
 * to STRAIGHT_AXIS_LINES lines).
 */
export function prepareStraight(
  c: Call, s: Streams, op: 0 | 1, logits: unknown, dy: unknown, options: (GumbelRaoOptions & GappedSTOptions & StraightForward) | undefined,
): void {
  const fn = c.fn;
  const backward = dy !== null;
  checkOptions(fn, options, KEYS[op]![backward ? 1 : 0]!);
  const o = options ?? {};
  const extra = op === 0 ? checkSamples(fn, o.samples) : checkKappa(fn, o.kappa);
  const a = c.operand("logits", logits, c.in1);
  const b = backward ? c.operand("dy", dy, c.in2) : null;
  const L = c.resolveLayout(o, a);
  const strided = L.inner > 1;
  // The kernel's rows and row length: outer x classes, or slices of classes * inner.
  const rows = L.outer;
  const cols = L.kCols;
  if (b) c.sameLength(a, b);
  const tau = layoutTau(fn, L, o.tau); // along a non-last axis one number
  if (backward && o.seed === undefined) {
    throw new TypeError(`${fn}: seed is required: pass the seed and offset of the forward call, whose noise is recomputed`);
  }
  s.resolve(fn, o, rows * cols);
  const out = c.outPlan("out", o.out, "float32", rows, cols, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "full");
  const work = strided ? L.classes * Math.min(L.inner, STRAIGHT_AXIS_LINES) : cols;
  const aux = !backward
    ? o.soft === undefined ? null : c.outPlan("soft", o.soft, "float32", rows, cols, false, c.out2, out)
    : op === 0 ? c.outPlan("work", undefined, "float32", 1, work, false, c.out2, null) : null;
  if (backward && aux) {
    aux.used = false; // workspace, not a result: a part split off gets a block of its own
    c.work = Math.ceil(work / 4) * 16;
  }
  c.stageOperands(a, b, out, aux);
  c.allocFresh(out);
  const spec = SPECS[strided ? 1 : 0]![op]![backward ? 1 : 0]!;
  const { key, counter } = s;
  const bp = b ? b.ptr : 0;
  const xp = aux ? aux.ptr : 0;
  const k = c.host.kernels;
  if (strided) {
    const t = tau as number;
    const inner = L.inner;
    if (c.runsNow(t)) {
      c.ranNow(spec, rows, cols, (op === 0 ? k.gumbel_rao_axis : k.gapped_st_axis)(a.ptr, bp, out.ptr, xp, rows, cols, inner, t, extra, key.lo, key.hi, counter.lo, counter.hi));
    } else c.launch(spec, rows, cols, null, a.ptr, bp, out.ptr, xp, rows, cols, inner, t, extra, key.lo, key.hi, counter.lo, counter.hi);
  } else if (c.runsNow(tau)) {
    c.ranNow(spec, rows, cols, (op === 0 ? k.gumbel_rao : k.gapped_st)(a.ptr, bp, out.ptr, xp, rows, cols, tau, extra, key.lo, key.hi, counter.lo, counter.hi));
  } else if (typeof tau === "number") c.launch(spec, rows, cols, null, a.ptr, bp, out.ptr, xp, rows, cols, tau, extra, key.lo, key.hi, counter.lo, counter.hi);
  else c.launch(spec, rows, cols, tau, a.ptr, bp, out.ptr, xp, rows, cols, 0, extra, key.lo, key.hi, counter.lo, counter.hi);
}
