# Risk ratio with a log-scale Wald CI: the log-binomial glm, exp(coef) and exp(confint.default).
# Run from the project root: Rscript tests/reference/risk-ratio/risk-ratio.R
suppressMessages({library(jsonlite)})
dir <- "tests/reference/risk-ratio/"
d <- read.csv("../shared/reference/lalonde_nsw.csv")
d$z <- as.integer(d$arm == "training")
f <- function(y, z, level = 0.95) {
  fit <- glm(y ~ z, family = binomial(link = "log"))
  s <- summary(fit)$coefficients["z", ]
  ci <- exp(confint.default(fit, level = level)["z", ])
  list(estimate = exp(s[["Estimate"]]), std_error = s[["Std. Error"]], statistic = s[["z value"]],
       p_value = s[["Pr(>|z|)"]], ci_lower = ci[[1]], ci_upper = ci[[2]]) }
set.seed(5)
z2 <- rep(0:1, c(60, 40)); y2 <- rbinom(100, 1, ifelse(z2 == 1, .35, .2))
write.csv(data.frame(z = z2, y = y2), paste0(dir, "data.csv"), row.names = FALSE)
out <- list(source = paste0(dir, "risk-ratio.R"), R = R.version.string,
  nsw_employed78 = f(d$employed78, d$z), nsw_employed78_level_90 = f(d$employed78, d$z, 0.9),
  simulated = f(y2, z2))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
