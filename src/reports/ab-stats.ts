/**
 * The statistics of an A/B test between offer variants: a proportion's 95% confidence
 * interval, a two-proportion test of one variant against another, and the sample size
 * that would make an observed difference significant. Pure functions, no library: the
 * formulas are short and the tests check them against published and independently
 * computed values (test/reports/ab-stats.test.ts).
 */

/** The standard normal quantile for a two-sided 5% test: Φ⁻¹(0.975). */
export const Z_ALPHA_05 = 1.959963984540054;
/** The standard normal quantile for 80% power: Φ⁻¹(0.80). */
export const Z_POWER_80 = 0.8416212335729143;

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval (E. B. Wilson, "Probable inference, the law of succession,
 * and statistical inference", JASA 22, 1927), without continuity correction: method 3 of
 * Newcombe, "Two-sided confidence intervals for the single proportion", Statistics in
 * Medicine 17 (1998). Unlike p ± z·se it stays inside [0, 1] and is sensible at 0 of n.
 * Null when n is 0 (no rate, no interval).
 */
export function wilsonInterval(successes: number, n: number, z = Z_ALPHA_05): Interval | null {
  if (n <= 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamped: at 0 or n successes rounding can put a bound a hair outside [0, 1].
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface ProportionTest {
  /** (p2 - p1) / pooled standard error: positive when the second proportion is higher. */
  z: number;
  /** Two-sided. */
  pValue: number;
}

/**
 * The two-proportion z-test with the pooled standard error (the test equivalent to
 * Pearson's chi-squared on the 2x2 table without continuity correction). Null when it
 * cannot be computed: an empty arm, or both arms all successes or all failures.
 */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number): ProportionTest | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return null;
  const z = (x2 / n2 - x1 / n1) / se;
  return { z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

/**
 * Calls per arm for a two-sided test at alpha 0.05 to detect the difference between p1
 * and p2 with 80% power (Fleiss' formula without continuity correction; the n that R's
 * power.prop.test solves for). Null when there is no difference to detect.
 */
export function sampleSizePerArm(p1: number, p2: number, zAlpha = Z_ALPHA_05, zPower = Z_POWER_80): number | null {
  const delta = Math.abs(p1 - p2);
  if (!(delta > 0)) return null;
  const mean = (p1 + p2) / 2;
  const root = zAlpha * Math.sqrt(2 * mean * (1 - mean)) + zPower * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((root * root) / (delta * delta));
}

/**
 * The standard normal CDF Φ(x), by Abramowitz and Stegun, Handbook of Mathematical
 * Functions (1964), formula 26.2.17: absolute error below 7.5e-8, far finer than a
 * p-value is read to.
 */
export function normalCdf(x: number): number {
  if (x < 0) return 1 - normalCdf(-x);
  const t = 1 / (1 + 0.2316419 * x);
  const density = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return 1 - density * poly;
}
