# lm_lin with a numeric and a factor covariate (HC2), and with clusters (CR2).
# Run from the project root: Rscript tests/reference/lm-lin-factor/lm-lin-factor.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/lm-lin-factor/"
set.seed(99)
n <- 90
d <- data.frame(z = rbinom(n, 1, .5), age = round(runif(n, 18, 60)),
                region = sample(c("Nord", "Midt", "Syd", "Hovedstaden"), n, TRUE, prob = c(.2, .3, .3, .2)),
                cl = sprintf("g%02d", sample(1:12, n, TRUE)))
d$y <- round(5 + 2 * d$z + 0.1 * d$age + c(Nord = 1, Midt = 0, Syd = -1, Hovedstaden = 2)[d$region] * (1 + d$z) + rnorm(n), 3)
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)
f <- function(fit) { s <- summary(fit)$coefficients["z", ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], p_value = s[["Pr(>|t|)"]],
       ci_lower = s[["CI Lower"]], ci_upper = s[["CI Upper"]], df = s[["DF"]]) }
out <- list(source = paste0(dir, "lm-lin-factor.R"), R = R.version.string,
  hc2 = f(lm_lin(y ~ z, covariates = ~ age + region, data = d)),
  hc1 = f(lm_lin(y ~ z, covariates = ~ age + region, data = d, se_type = "HC1")),
  classical = f(lm_lin(y ~ z, covariates = ~ age + region, data = d, se_type = "classical")),
  cr2 = f(lm_lin(y ~ z, covariates = ~ age + region, clusters = cl, data = d)))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
