# Blocked difference in means with unequal block sizes and treated proportions (estimatr).
# Run from the project root: Rscript tests/reference/dim-blocked/dim-blocked.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/dim-blocked/"
set.seed(20261123)
sizes <- c(6, 9, 14, 20, 33, 8); props <- c(.5, 1/3, .5, .25, .6, .5)
d <- do.call(rbind, lapply(seq_along(sizes), function(b) {
  n <- sizes[b]; n1 <- round(n * props[b])
  data.frame(block = sprintf("b%d", b), z = sample(rep(0:1, c(n - n1, n1))))
}))
d$y <- round(2 + as.integer(factor(d$block)) * 0.7 + 1.5 * d$z + rnorm(nrow(d), sd = 1 + d$z), 4)
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)
f <- function(fit) { s <- summary(fit)$coefficients["z", ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], p_value = s[["Pr(>|t|)"]],
       ci_lower = s[["CI Lower"]], ci_upper = s[["CI Upper"]], df = s[["DF"]]) }
out <- list(source = paste0(dir, "dim-blocked.R"), R = R.version.string,
  blocked = f(difference_in_means(y ~ z, blocks = block, data = d)),
  blocked_level_90 = f(difference_in_means(y ~ z, blocks = block, data = d, alpha = 0.1)))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
