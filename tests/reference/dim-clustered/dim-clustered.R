# Clustered (CR2, Bell-McCaffrey df) and block-clustered difference in means (estimatr).
# Run from the project root: Rscript tests/reference/dim-clustered/dim-clustered.R
suppressMessages({library(estimatr); library(jsonlite)})
dir <- "tests/reference/dim-clustered/"
set.seed(31)
K <- 14
cl <- data.frame(cl = sprintf("c%02d", 1:K), z = sample(rep(0:1, c(8, 6))), size = sample(2:9, K, TRUE),
                 block = rep(c("A", "B"), each = 7), u = rnorm(K))
d <- cl[rep(seq_len(K), cl$size), c("cl", "z", "block", "u")]
d$y <- round(1 + 0.6 * d$z + d$u + rnorm(nrow(d)), 4); d$u <- NULL
# Make the blocks hold both arms with at least two clusters each.
d <- d[order(d$cl), ]
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)
f <- function(fit) { s <- summary(fit)$coefficients["z", ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], p_value = s[["Pr(>|t|)"]],
       ci_lower = s[["CI Lower"]], ci_upper = s[["CI Upper"]], df = s[["DF"]]) }
out <- list(source = paste0(dir, "dim-clustered.R"), R = R.version.string,
  clusters_per_block_arm = as.list(table(paste(cl$block, cl$z))),
  clustered = f(difference_in_means(y ~ z, clusters = cl, data = d)),
  block_clustered = f(difference_in_means(y ~ z, blocks = block, clusters = cl, data = d)))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
