// Gradients of y = softmax(s), s = x / tau, given y (the forward output):
// - VJP w.r.t. x with upstream v:   dx = y * (v - <v, y>) / tau
// - JVP w.r.t. x with tangent t:    dy = y * (t - <t, y>) / tau  (the same formula: the softmax
//   Jacobian is symmetric)
// - gradient w.r.t. tau:            dtau = -<dx, s> = -<dx, log y>  (since s = log y + lse and
//   sum(dx) = 0), written to dtau[r] when dtau is not 0.

import { dotRow, rowPtr, softmaxGradRow, softmaxGradRows } from "./inline/row";
import { invTemperature } from "./inline/tau";

/**
 * dst <- y * (v - <v, y>) / tau per row (the VJP with upstream v, or the JVP with tangent v),
 * and dtau[r] <- the gradient w.r.t. tau when dtau is not 0.
 * @rows y:cols v:cols dst:cols dtau:1
 */
export function softmax_grad(y: usize, v: usize, dst: usize, dtau: usize, rows: i32, cols: i32, tau: f32): void {
  const it = invTemperature(tau);
  // Without dtau (the JVP, or a VJP asked for dlogits only): the same bits at memory speed.
  if (!dtau) {
    softmaxGradRows(y, v, dst, rows, cols, it);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const yr = rowPtr(y, r, cols);
    const vr = rowPtr(v, r, cols);
    store<f32>(dtau + (<usize>r << 2), softmaxGradRow(yr, vr, rowPtr(dst, r, cols), cols, dotRow(vr, yr, cols), it));
  }
}
