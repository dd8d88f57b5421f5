# Hedges' g and the Cox index for the baseline covariates of the NSW (LaLonde) experimental
# sample, computed by hand from the WWC Procedures and Standards Handbook v5.0 formulas:
#   continuous: g = omega * (mean_t - mean_c) / s_pooled,
#               s_pooled = sqrt(((n_t - 1) var_t + (n_c - 1) var_c) / (n_t + n_c - 2))
#   binary:     g = omega * (qlogis(p_t) - qlogis(p_c)) / 1.65
#   omega = 1 - 3 / (4 N - 9).
# Run from the project root: Rscript tests/reference/balance-lalonde/balance.R
d <- read.csv("../shared/reference/lalonde_nsw.csv")
t <- d$arm == "training"
covs <- c("age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75", "u74", "u75")
out <- lapply(covs, function(v) {
  x <- d[[v]]; x1 <- x[t]; x0 <- x[!t]
  n1 <- length(x1); n0 <- length(x0)
  omega <- 1 - 3 / (4 * (n1 + n0) - 9)
  binary <- all(x %in% c(0, 1))
  if (binary) {
    sdiff <- (qlogis(mean(x1)) - qlogis(mean(x0))) / 1.65
    sp <- NULL
  } else {
    sp <- sqrt(((n1 - 1) * var(x1) + (n0 - 1) * var(x0)) / (n1 + n0 - 2))
    sdiff <- (mean(x1) - mean(x0)) / sp
  }
  list(covariate = v, kind = if (binary) "binary" else "continuous", n_treatment = n1, n_control = n0,
       mean_treatment = mean(x1), mean_control = mean(x0), sd_pooled = sp,
       standardized_difference = sdiff, hedges_g = omega * sdiff)
})
jsonlite::write_json(list(source = "tests/reference/balance-lalonde/balance.R", R = R.version.string, rows = out),
                     "tests/reference/balance-lalonde/balance.json", auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null")
