# lm_robust with several covariates under every se_type (HC0-HC3, classical, CR2, CR0, stata), all coefficients.
# Run from the project root: Rscript tests/reference/lm-robust-se-types/lm-robust-se-types.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/lm-robust-se-types/"
set.seed(404)
n <- 120
d <- data.frame(z = rbinom(n, 1, .4), x1 = round(rnorm(n, 40, 10), 2), x2 = rbinom(n, 1, .3),
                x3 = round(rexp(n, 1 / 20000), 0), cl = sprintf("k%02d", sample(1:17, n, TRUE)))
d$y <- round(1000 + 800 * d$z + 30 * d$x1 - 500 * d$x2 + 0.2 * d$x3 + rnorm(n, sd = 900 + 600 * d$x2), 2)
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)
tab <- function(fit) { s <- summary(fit)$coefficients
  lapply(setNames(rownames(s), rownames(s)), function(r) list(estimate = s[r, "Estimate"], std_error = s[r, "Std. Error"],
    p_value = s[r, "Pr(>|t|)"], ci_lower = s[r, "CI Lower"], ci_upper = s[r, "CI Upper"], df = s[r, "DF"])) }
fo <- y ~ z + x1 + x2 + x3
out <- list(source = paste0(dir, "lm-robust-se-types.R"), R = R.version.string)
for (se in c("HC0", "HC1", "HC2", "HC3", "classical")) out[[se]] <- tab(lm_robust(fo, data = d, se_type = se))
out$CR2 <- tab(lm_robust(fo, data = d, clusters = cl, se_type = "CR2"))
out$CR0 <- tab(lm_robust(fo, data = d, clusters = cl, se_type = "CR0"))
out$stata <- tab(lm_robust(fo, data = d, clusters = cl, se_type = "stata"))
out$interaction_HC2 <- tab(lm_robust(y ~ z * x1, data = d, se_type = "HC2"))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
