# Treatment effect with strata fixed effects and HC2 (lm_robust with factor(strata) and fixed_effects).
# Run from the project root: Rscript tests/reference/strata-fixed-effects/strata-fixed-effects.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/strata-fixed-effects/"
set.seed(8)
n <- 150
d <- data.frame(s = sample(sprintf("st%d", 1:7), n, TRUE, prob = 1:7), x = round(rnorm(n), 3))
d$z <- rbinom(n, 1, c(.2, .3, .4, .5, .6, .5, .3)[as.integer(factor(d$s))])
d$y <- round(as.integer(factor(d$s)) + (1 + 0.2 * as.integer(factor(d$s))) * d$z + 0.7 * d$x + rnorm(n), 3)
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)
f <- function(fit) { s <- summary(fit)$coefficients["z", ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], p_value = s[["Pr(>|t|)"]],
       ci_lower = s[["CI Lower"]], ci_upper = s[["CI Upper"]], df = s[["DF"]]) }
out <- list(source = paste0(dir, "strata-fixed-effects.R"), R = R.version.string,
  hc2 = f(lm_robust(y ~ z + factor(s), data = d, se_type = "HC2")),
  hc2_fixed_effects = f(lm_robust(y ~ z, fixed_effects = ~ s, data = d, se_type = "HC2")),
  hc2_covariate = f(lm_robust(y ~ z + x + factor(s), data = d, se_type = "HC2")),
  hc3 = f(lm_robust(y ~ z + factor(s), data = d, se_type = "HC3")),
  hc1 = f(lm_robust(y ~ z + factor(s), data = d, se_type = "HC1")),
  classical = f(lm_robust(y ~ z + factor(s), data = d, se_type = "classical")))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
