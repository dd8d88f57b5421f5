/**
 * Brent's method for a one-dimensional minimum on an interval: golden-section steps with parabolic
 * interpolation where it helps, as R's `optimize()` (which the REML fit of the random-intercept model
 * uses to find θ; lme4 itself uses a derivative-free multivariate optimizer).
 *
 * Reference: Brent, R. P. (1973). Algorithms for Minimization without Derivatives, ch. 5. Prentice-Hall.
 */

/** Brent's minimizer on [a, b] (golden section with parabolic interpolation), to absolute tolerance tol. */
export function brentMinimize(f: (x: number) => number, a: number, b: number, tol: number): { x: number; fx: number } {
  const golden = 0.5 * (3 - Math.sqrt(5));
  let x = a + golden * (b - a), w = x, v = x;
  let fx = f(x), fw = fx, fv = fx;
  let d = 0, e = 0;
  for (let iter = 0; iter < 500; iter++) {
    const m = 0.5 * (a + b);
    const tol1 = 1e-10 * Math.abs(x) + tol / 3;
    const tol2 = 2 * tol1;
    if (Math.abs(x - m) <= tol2 - 0.5 * (b - a)) break;
    let parabolic = false;
    if (Math.abs(e) > tol1) {
      const r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let pp = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) pp = -pp;
      q = Math.abs(q);
      const eOld = e;
      e = d;
      if (Math.abs(pp) < Math.abs(0.5 * q * eOld) && pp > q * (a - x) && pp < q * (b - x)) {
        d = pp / q;
        const uTry = x + d;
        if (uTry - a < tol2 || b - uTry < tol2) d = x < m ? tol1 : -tol1;
        parabolic = true;
      }
    }
    if (!parabolic) {
      e = x < m ? b - x : a - x;
      d = golden * e;
    }
    const uNew = Math.abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1);
    const fu = f(uNew);
    if (fu <= fx) {
      if (uNew < x) b = x;
      else a = x;
      v = w; fv = fw;
      w = x; fw = fx;
      x = uNew; fx = fu;
    } else {
      if (uNew < x) a = uNew;
      else b = uNew;
      if (fu <= fw || w === x) {
        v = w; fv = fw;
        w = uNew; fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = uNew; fv = fu;
      }
    }
  }
  return { x, fx };
}
