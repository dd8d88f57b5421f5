# Matched-pair difference in means, pure pairs and pairs mixed with a larger block (estimatr).
# Run from the project root: Rscript tests/reference/dim-matched-pairs/dim-matched-pairs.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/dim-matched-pairs/"
set.seed(7)
B <- 15
d <- data.frame(pair = rep(sprintf("p%02d", 1:B), each = 2), z = as.vector(replicate(B, sample(0:1))))
d$y <- round(rnorm(B)[as.integer(factor(d$pair))] + 0.8 * d$z + rnorm(2 * B, sd = .5), 4)
# A mixed design: the pairs plus one block of six.
m <- rbind(d, data.frame(pair = "big", z = c(0, 0, 0, 1, 1, 1), y = c(0.3, 1.2, -0.4, 1.9, 0.8, 2.2)))
# Matched pairs of clusters: 8 pairs of two clusters with 2 to 4 people each.
set.seed(11)
pc <- do.call(rbind, lapply(1:8, function(b) {
  zz <- sample(0:1); do.call(rbind, lapply(1:2, function(k) {
    n <- sample(2:4, 1); data.frame(pair = sprintf("q%d", b), cl = sprintf("c%d_%d", b, k), z = zz[k],
                                     y = round(rnorm(n, mean = b / 4 + zz[k]), 4)) })) }))
write.csv(d, paste0(dir, "pairs.csv"), row.names = FALSE)
write.csv(m, paste0(dir, "mixed.csv"), row.names = FALSE)
write.csv(pc, paste0(dir, "pairs-clustered.csv"), row.names = FALSE)
f <- function(fit) { s <- summary(fit)$coefficients["z", ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], p_value = s[["Pr(>|t|)"]],
       ci_lower = s[["CI Lower"]], ci_upper = s[["CI Upper"]], df = s[["DF"]]) }
out <- list(source = paste0(dir, "dim-matched-pairs.R"), R = R.version.string,
  pairs = f(difference_in_means(y ~ z, blocks = pair, data = d)),
  mixed = f(suppressWarnings(difference_in_means(y ~ z, blocks = pair, data = m))),
  pairs_clustered = f(difference_in_means(y ~ z, blocks = pair, clusters = cl, data = pc)))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
