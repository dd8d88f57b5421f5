import { expect, it } from "vitest";
import { brentMinimize } from "../../analysis/brent-minimize.ts";

it("finds a smooth minimum inside the interval, and an end point when the minimum lies beyond it", () => {
  const inside = brentMinimize((x) => (x - 2) ** 2 + 1, 0, 5, 1e-12);
  expect(inside.x).toBeCloseTo(2, 7); // a minimum is located to about the square root of the machine precision
  expect(inside.fx).toBeCloseTo(1, 15);
  // R: optimize(function(x) x * log(x), c(0.01, 3), tol = 1e-12)$minimum = 0.367879441667323 (exp(-1) = 0.367879441171442)
  expect(brentMinimize((x) => x * Math.log(x), 0.01, 3, 1e-12).x).toBeCloseTo(Math.exp(-1), 7);
  const edge = brentMinimize((x) => x, 1, 4, 1e-10);
  expect(edge.x).toBeGreaterThanOrEqual(1);
  expect(edge.x).toBeLessThan(1 + 1e-8);
});
