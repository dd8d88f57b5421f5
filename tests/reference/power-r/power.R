# Reference values from R's stats::power.t.test and stats::power.prop.test (two-sided, two-sample,
# strict = FALSE, the defaults). Run from the project root: Rscript tests/reference/power-r/power.R
t_power <- list(
  list(n = 20, delta = 1, sd = 1, sig.level = 0.05),
  list(n = 50, delta = 0.5, sd = 1, sig.level = 0.05),
  list(n = 100, delta = 2000, sd = 6000, sig.level = 0.05),
  list(n = 400, delta = 0.2, sd = 1, sig.level = 0.01),
  list(n = 8, delta = 1.5, sd = 1, sig.level = 0.05)
)
t_n <- list(
  list(power = 0.8, delta = 0.5, sd = 1, sig.level = 0.05),
  list(power = 0.9, delta = 0.2, sd = 1, sig.level = 0.05),
  list(power = 0.8, delta = 1, sd = 1, sig.level = 0.05),
  list(power = 0.8, delta = 0.25, sd = 1, sig.level = 0.01)
)
p_power <- list(
  list(n = 100, p1 = 0.5, p2 = 0.75, sig.level = 0.05),
  list(n = 240, p1 = 0.465, p2 = 0.599, sig.level = 0.05),
  list(n = 1000, p1 = 0.12, p2 = 0.16, sig.level = 0.05),
  list(n = 50, p1 = 0.3, p2 = 0.5, sig.level = 0.01)
)
p_n <- list(
  list(power = 0.8, p1 = 0.5, p2 = 0.75, sig.level = 0.05),
  list(power = 0.8, p1 = 0.12, p2 = 0.16, sig.level = 0.05),
  list(power = 0.9, p1 = 0.465, p2 = 0.599, sig.level = 0.05)
)
# Bloom (2005) MDE written out in R: M = qt(1 - a/2, df) + qt(power, df) times the SE.
bloom_cluster <- function(J, m, icc, P, r2_1 = 0, r2_2 = 0, g = 0, alpha = 0.05, power = 0.8) {
  df <- J - 2 - g
  se <- sqrt(icc * (1 - r2_2) / (P * (1 - P) * J) + (1 - icc) * (1 - r2_1) / (P * (1 - P) * J * m))
  list(J = J, m = m, icc = icc, P = P, r2_1 = r2_1, r2_2 = r2_2, g = g, df = df,
       multiplier = qt(1 - alpha / 2, df) + qt(power, df), r_mde = (qt(1 - alpha / 2, df) + qt(power, df)) * se)
}
bloom_individual <- function(N, shares, sd = 1, r2 = 0, K = 0, alpha = 0.05, power = 0.8) {
  A <- length(shares); a <- alpha / (A - 1); df <- N - A - K
  se <- sd * sqrt((1 - r2) * (1 / (shares[2] * N) + 1 / (shares[1] * N)))
  list(N = N, shares = shares, sd = sd, r2 = r2, K = K, df = df, alpha_per_contrast = a,
       r_mde = (qt(1 - a / 2, df) + qt(power, df)) * se)
}
run <- function(cases, f, field) lapply(cases, function(a) c(a, setNames(list(do.call(f, a)[[field]]), paste0("r_", field))))
# Tighter root-finding than the default so the R numbers are exact to the reported digits.
out <- list(
  source = "tests/reference/power-r/power.R", R = R.version.string,
  power_t_test_power = run(t_power, power.t.test, "power"),
  power_t_test_n = run(t_n, function(...) power.t.test(..., tol = 1e-12), "n"),
  power_prop_test_power = run(p_power, power.prop.test, "power"),
  power_prop_test_n = run(p_n, function(...) power.prop.test(..., tol = 1e-12), "n"),
  t_delta = list(n = 64, power = 0.8, r_delta = power.t.test(n = 64, power = 0.8, tol = 1e-12)$delta),
  one_sided = list(
    t_power = power.t.test(n = 30, delta = 0.6, alternative = "one.sided")$power,
    t_n = power.t.test(power = 0.9, delta = 0.4, alternative = "one.sided", tol = 1e-12)$n,
    prop_power = power.prop.test(n = 150, p1 = 0.2, p2 = 0.3, alternative = "one.sided")$power
  ),
  bloom_cluster = list(
    bloom_cluster(J = 20, m = 25, icc = 0.1, P = 0.5),
    bloom_cluster(J = 40, m = 10, icc = 0.05, P = 0.5, r2_1 = 0.3, r2_2 = 0.5, g = 1),
    bloom_cluster(J = 12, m = 60, icc = 0.2, P = 0.5)
  ),
  bloom_individual = list(
    bloom_individual(N = 1000, shares = c(0.5, 0.5)),
    bloom_individual(N = 600, shares = c(1, 1, 1) / 3, sd = 6000, r2 = 0.3, K = 5),
    bloom_individual(N = 300, shares = c(1, 2) / 3)
  )
)
jsonlite::write_json(out, "tests/reference/power-r/power.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
