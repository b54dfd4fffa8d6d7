import { normalCdf, sampleSizePerArm, twoProportionTest, wilsonInterval, Z_ALPHA_05, Z_POWER_80 } from '../../src/reports/ab-stats';

/**
 * The A/B statistics against values from elsewhere: published tables, and the same
 * quantities computed here by a different route (numeric integration of the normal
 * density, inverting the score test by bisection, Pearson's chi-squared on the 2x2
 * table, solving the power equation for n). Nothing here calls one function of the
 * module to check another.
 */

/** Φ(x) by Simpson's rule on the normal density from 0 (no approximation formula shared with the module). */
function integratedCdf(x: number): number {
  const density = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  const steps = 20_000;
  const h = Math.abs(x) / steps;
  let sum = density(0) + density(Math.abs(x));
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * density(i * h);
  const half = (h / 3) * sum;
  return x < 0 ? 0.5 - half : 0.5 + half;
}

/** The score interval by its definition: the p0 the score test does not reject, bounds found by bisection. */
function scoreInterval(x: number, n: number, z: number): [number, number] {
  const score = (p0: number) => (x - n * p0) / Math.sqrt(n * p0 * (1 - p0));
  const phat = x / n;
  // score() falls as p0 rises: the low bound is where it equals z, the high where it equals -z.
  const low = x === 0 ? 0 : bisect((p) => score(p) - z, 1e-12, phat);
  const high = x === n ? 1 : bisect((p) => score(p) + z, phat, 1 - 1e-12);
  return [low, high];
}

/** Root of a decreasing function on [lo, hi]. */
function bisect(f: (p: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

describe('normalCdf', () => {
  it('agrees with the integrated normal density to 1e-7', () => {
    for (const x of [-3.5, -1.959963984540054, -1, -0.25, 0, 0.5, 1.2816, 1.644854, 2.5758, 4]) {
      expect(Math.abs(normalCdf(x) - integratedCdf(x))).toBeLessThan(1e-7);
    }
  });

  it('gives the textbook quantiles back: Φ(1.959964) = 0.975, Φ(0.841621) = 0.80', () => {
    expect(normalCdf(Z_ALPHA_05)).toBeCloseTo(0.975, 6);
    expect(normalCdf(Z_POWER_80)).toBeCloseTo(0.8, 6);
  });
});

describe('wilsonInterval', () => {
  it("matches Newcombe (1998), Table II, method 3 (Wilson score without continuity correction)", () => {
    // Newcombe, Statistics in Medicine 17:857-872, the paper's four worked examples.
    const table: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, low, high] of table) {
      const ci = wilsonInterval(x, n)!;
      expect(ci.low).toBeCloseTo(low, 4);
      expect(ci.high).toBeCloseTo(high, 4);
    }
  });

  it('is the set of proportions the score test does not reject (bounds found by bisection)', () => {
    for (const [x, n] of [[3, 10], [7, 7], [50, 1000], [999, 1000], [1, 2]] as [number, number][]) {
      const [low, high] = scoreInterval(x, n, Z_ALPHA_05);
      const ci = wilsonInterval(x, n)!;
      expect(ci.low).toBeCloseTo(low, 9);
      expect(ci.high).toBeCloseTo(high, 9);
    }
  });

  it('has no interval for an arm with no calls', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('twoProportionTest', () => {
  it("gives statsmodels' proportions_ztest result for its documented example (5/83 vs 12/99: p = 0.159)", () => {
    // https://www.statsmodels.org/stable/generated/statsmodels.stats.proportion.proportions_ztest.html
    // (example: count [5, 12], nobs [83, 99], two-sided, pooled variance: z = -1.408, p-value 0.159;
    // statsmodels' z is p1 - p2, ours p2 - p1, hence the sign).
    const test = twoProportionTest(5, 83, 12, 99)!;
    expect(test.z).toBeCloseTo(1.4078, 4);
    expect(test.pValue).toBeCloseTo(0.1592, 4);
  });

  it("squares to Pearson's chi-squared of the 2x2 table, and its p-value is the integrated tail", () => {
    for (const [a, n1, c, n2] of [[120, 1000, 150, 1000], [30, 200, 18, 210], [5, 40, 15, 41]] as [number, number, number, number][]) {
      const b = n1 - a;
      const d = n2 - c;
      const total = n1 + n2;
      const chi2 = (total * (a * d - b * c) ** 2) / ((a + b) * (c + d) * (a + c) * (b + d));
      const test = twoProportionTest(a, n1, c, n2)!;
      expect(test.z * test.z).toBeCloseTo(chi2, 9);
      expect(test.pValue).toBeCloseTo(2 * (1 - integratedCdf(Math.sqrt(chi2))), 6);
    }
  });

  it('says which way: positive when the second arm does better', () => {
    expect(twoProportionTest(100, 1000, 150, 1000)!.z).toBeGreaterThan(0);
    expect(twoProportionTest(150, 1000, 100, 1000)!.z).toBeLessThan(0);
  });

  it('has no test with an empty arm or with nothing to compare (all or none in both)', () => {
    expect(twoProportionTest(0, 0, 3, 10)).toBeNull();
    expect(twoProportionTest(0, 10, 0, 12)).toBeNull();
    expect(twoProportionTest(10, 10, 12, 12)).toBeNull();
  });
});

describe('sampleSizePerArm', () => {
  /** R's power.prop.test power (strict = FALSE) for n per arm, with the integrated CDF. */
  const power = (n: number, p1: number, p2: number) =>
    integratedCdf((Math.sqrt(n) * Math.abs(p1 - p2) - Z_ALPHA_05 * Math.sqrt(((p1 + p2) * (2 - p1 - p2)) / 2)) / Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2)));

  it('is the smallest whole n at which the power equation reaches 80%', () => {
    for (const [p1, p2] of [[0.5, 0.75], [0.1, 0.12], [0.3, 0.25], [0.02, 0.03]] as [number, number][]) {
      const n = sampleSizePerArm(p1, p2)!;
      expect(power(n, p1, p2)).toBeGreaterThanOrEqual(0.8 - 1e-6);
      expect(power(n - 1, p1, p2)).toBeLessThan(0.8);
    }
  });

  it("is 58 for 50% against 75% (R: power.prop.test(p1 = .5, p2 = .75, power = .8) gives n = 57.67)", () => {
    expect(sampleSizePerArm(0.5, 0.75)).toBe(58);
  });

  it('is null when the arms are the same (no difference to detect)', () => {
    expect(sampleSizePerArm(0.2, 0.2)).toBeNull();
  });
});
