# Joint test that the treatment effect is the same across the levels of a subgroup variable:
# every z:g term of lm_robust(y ~ z * g, se_type = "HC2") at once, F = b' V^-1 b / q on
# (q, df.residual) degrees of freedom, checked against car::linearHypothesis(test = "F"); also each
# z:g row, whose t-tests are not the joint test. Simulated, seed fixed; g3 has three levels, g4
# four. Run in this folder:  Rscript make.R   (writes data.csv and expected.json)
suppressMessages({library(estimatr); library(car); library(jsonlite)})
set.seed(17)
n <- 300
d <- data.frame(z = rbinom(n, 1, 0.5), g3 = sample(c("a", "b", "c"), n, TRUE), g4 = sample(c("k1", "k2", "k3", "k4"), n, TRUE))
d$y <- round(1 + 0.4 * d$z + 0.5 * d$z * (d$g3 == "c") + rnorm(n, 0, 1 + 0.5 * d$z), 4)
write.csv(d, "data.csv", row.names = FALSE)
joint <- function(g) {
  fit <- lm_robust(as.formula(paste("y ~ z *", g)), data = d, se_type = "HC2")
  idx <- grep("^z:", names(coef(fit)))
  b <- coef(fit)[idx]; V <- vcov(fit)[idx, idx]
  F <- as.numeric(t(b) %*% solve(V) %*% b) / length(idx)
  p <- pf(F, length(idx), fit$df.residual, lower.tail = FALSE)
  lh <- linearHypothesis(fit, names(b), test = "F")
  stopifnot(abs(lh$F[2] - F) < 1e-10 * F, abs(lh[["Pr(>F)"]][2] - p) < 1e-12)
  s <- summary(fit)$coefficients[idx, , drop = FALSE]
  rows <- lapply(seq_along(idx), function(k) list(estimate = s[k, "Estimate"], std_error = s[k, "Std. Error"], df = s[k, "DF"], p_value = s[k, "Pr(>|t|)"]))
  names(rows) <- names(b)
  list(F = F, df1 = length(idx), df2 = fit$df.residual, p_value = p, terms = rows)
}
writeLines(toJSON(list(source = "tests/reference/interaction-joint/make.R", R = R.version.string, g3 = joint("g3"), g4 = joint("g4")), auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected.json")
