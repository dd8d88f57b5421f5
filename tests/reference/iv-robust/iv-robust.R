# CACE by 2SLS: iv_robust defaults (HC2), with a covariate, and with clusters (CR2).
# Run from the project root: Rscript tests/reference/iv-robust/iv-robust.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/iv-robust/"
set.seed(2026)
n <- 200
d <- data.frame(z = rbinom(n, 1, .5), x = round(rnorm(n), 3), cl = sprintf("s%02d", sample(1:20, n, TRUE)))
complier <- rbinom(n, 1, .6)
d$d <- d$z * complier
d$y <- round(0.3 + 1.2 * d$d + 0.5 * d$x + 0.4 * complier + rnorm(n), 3)
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)
f <- function(fit) { s <- summary(fit)$coefficients["d", ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], p_value = s[["Pr(>|t|)"]],
       ci_lower = s[["CI Lower"]], ci_upper = s[["CI Upper"]], df = s[["DF"]]) }
out <- list(source = paste0(dir, "iv-robust.R"), R = R.version.string,
  wald = f(iv_robust(y ~ d | z, data = d)),
  covariate = f(iv_robust(y ~ d + x | z + x, data = d)),
  covariate_hc0 = f(iv_robust(y ~ d + x | z + x, data = d, se_type = "HC0")),
  covariate_classical = f(iv_robust(y ~ d + x | z + x, data = d, se_type = "classical")),
  clustered = f(iv_robust(y ~ d + x | z + x, clusters = cl, data = d)))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
