// The softmax family and its derivatives, as call preparations: each validates its arguments,
// plans and places the operands (marshal.ts) and sets the kernel launch; the public class runs it
// (launch.ts), synchronously or on the workers.

import {
  LOG_SOFTMAX, LOG_SOFTMAX_AXIS, LOG_SUM_EXP, LOG_SUM_EXP_AXIS, SOFTMAX, SOFTMAX_AXIS, SOFTMAX_GRAD, SOFTMAX_GRAD_AXIS,
} from "./specs.js";
import { describe } from "./checks.js";
import type { Call } from "./marshal.js";
import { checkOptions, optionKeys } from "./options.js";
import { layoutTau } from "./layout.js";
import type { BackwardOptions, LogSumExpOptions, SoftmaxOptions } from "./types.js";

const NO_NOISE = "this call is deterministic: it draws no noise";
/** softmax, logSoftmax, logSumExp and softmaxJvp. */
const TAU_OUT_KEYS = optionKeys<SoftmaxOptions>({ cols: true, shape: true, axis: true, tau: true, out: true }, { notes: { seed: NO_NOISE, offset: NO_NOISE } });
const LSE_KEYS = optionKeys<LogSumExpOptions>(
  { cols: true, shape: true, axis: true, keepDims: true, tau: true, out: true }, { notes: { seed: NO_NOISE, offset: NO_NOISE } },
);
const BACKWARD_KEYS = optionKeys<BackwardOptions>(
  { cols: true, shape: true, axis: true, keepDims: true, tau: true, out: true, dtau: true, dtauOut: true }, { notes: { seed: NO_NOISE, offset: NO_NOISE } },
);

/**
 * softmax (0), logSoftmax (1) and logSumExp (2) of each line of x / tau: the row kernels with
 * the classes last, their strided forms (`*_axis`, the same bits per line) along another axis.
 */
export function prepareSoftmax(c: Call, op: 0 | 1 | 2, x: unknown, options: LogSumExpOptions | undefined): void {
  checkOptions(c.fn, options, op === 2 ? LSE_KEYS : TAU_OUT_KEYS);
  const o = options ?? {};
  const a = c.operand("x", x, c.in1);
  const L = c.resolveLayout(o, a);
  const tau = layoutTau(c.fn, L, o.tau);
  const out = c.outPlan("out", o.out, "float32", L.lines, op === 2 ? 1 : L.classes, a.tensor !== null, c.out1, null);
  c.shapeOut(out, op === 2 ? "reduced" : "full");
  c.stageOperands(a, null, out, null);
  c.allocFresh(out);
  if (L.inner > 1) {
    const spec = op === 0 ? SOFTMAX_AXIS : op === 1 ? LOG_SOFTMAX_AXIS : LOG_SUM_EXP_AXIS;
    const t = tau as number; // one number along a non-last axis (layoutTau)
    if (c.runsNow(t)) {
      const k = c.host.kernels;
      const f = op === 0 ? k.softmax_axis : op === 1 ? k.log_softmax_axis : k.log_sum_exp_axis;
      c.ranNow(spec, L.outer, L.kCols, f(a.ptr, out.ptr, L.outer, L.kCols, L.inner, t));
    } else c.launch(spec, L.outer, L.kCols, null, a.ptr, out.ptr, L.outer, L.kCols, L.inner, t);
    return;
  }
  const rows = L.outer;
  const cols = L.classes;
  const spec = op === 0 ? SOFTMAX : op === 1 ? LOG_SOFTMAX : LOG_SUM_EXP;
  if (c.runsNow(tau)) {
    const k = c.host.kernels;
    c.ranNow(spec, rows, cols, (op === 0 ? k.softmax : op === 1 ? k.log_softmax : k.log_sum_exp)(a.ptr, out.ptr, rows, cols, tau));
  } else if (typeof tau === "number") c.launch(spec, rows, cols, null, a.ptr, out.ptr, rows, cols, tau);
  else c.launch(spec, rows, cols, tau, a.ptr, out.ptr, rows, cols, 0);
}

/**
 * Whether softmaxBackward computes dtau: `dtau: true`, or a `dtauOut` given (with `dtau`
 * omitted or true). Any other `dtau` is a TypeError, thrown before anything is written.
 */
function wantsDtau(fn: string, o: BackwardOptions): boolean {
  const d: unknown = o.dtau;
  if (d === undefined) return o.dtauOut !== undefined;
  if (d === true) return true;
  if (d !== false) {
    // An array or tensor here is meant for dtauOut.
    const hint = typeof d === "object" && d !== null ? ' (did you mean "dtauOut"?)' : "";
    throw new TypeError(`${fn}: dtau must be a boolean, got ${describe(d)}${hint}`);
  }
  if (o.dtauOut !== undefined) throw new TypeError(`${fn}: dtauOut is only written with dtau: true (or dtau omitted), got dtau: false`);
  return false;
}

/**
 * softmaxBackward (`backward`: dlogits into out1 and, when asked, dtau into out2, one per line)
 * or softmaxJvp (the derivative along the tangent into out1): one kernel, softmax_grad (or
 * softmax_grad_axis along a non-last axis), whose dtau pointer is 0 (no log computed) when
 * dtau is not asked for.
 */
export function prepareSoftmaxGrad(c: Call, y: unknown, v: unknown, options: BackwardOptions | undefined, backward: boolean): void {
  checkOptions(c.fn, options, backward ? BACKWARD_KEYS : TAU_OUT_KEYS);
  const o = options ?? {};
  const withDtau = backward && wantsDtau(c.fn, o);
  const a = c.operand("y", y, c.in1);
  const b = c.operand(backward ? "dy" : "tangent", v, c.in2);
  const L = c.resolveLayout(o, a);
  c.sameLength(a, b);
  const tau = layoutTau(c.fn, L, o.tau);
  const isT = a.tensor !== null;
  const out = c.outPlan("out", o.out, "float32", L.lines, L.classes, isT, c.out1, null);
  c.shapeOut(out, "full");
  const dt = withDtau ? c.outPlan("dtauOut", o.dtauOut, "float32", L.lines, 1, isT, c.out2, out) : null;
  if (dt) c.shapeOut(dt, "reduced");
  c.stageOperands(a, b, out, dt);
  c.allocFresh(out);
  if (dt) c.allocFresh(dt);
  const dp = dt ? dt.ptr : 0;
  if (L.inner > 1) {
    const t = tau as number; // one number along a non-last axis (layoutTau)
    if (c.runsNow(t)) {
      c.ranNow(SOFTMAX_GRAD_AXIS, L.outer, L.kCols, c.host.kernels.softmax_grad_axis(a.ptr, b.ptr, out.ptr, dp, L.outer, L.kCols, L.inner, t));
    } else c.launch(SOFTMAX_GRAD_AXIS, L.outer, L.kCols, null, a.ptr, b.ptr, out.ptr, dp, L.outer, L.kCols, L.inner, t);
    return;
  }
  const rows = L.outer;
  const cols = L.classes;
  if (c.runsNow(tau)) c.ranNow(SOFTMAX_GRAD, rows, cols, c.host.kernels.softmax_grad(a.ptr, b.ptr, out.ptr, dp, rows, cols, tau));
  else if (typeof tau === "number") c.launch(SOFTMAX_GRAD, rows, cols, null, a.ptr, b.ptr, out.ptr, dp, rows, cols, tau);
  else c.launch(SOFTMAX_GRAD, rows, cols, tau, a.ptr, b.ptr, out.ptr, dp, rows, cols, 0);
}
