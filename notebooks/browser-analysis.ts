/**
 * What the notebooks' pages compute with, taken from analysis/ unchanged. build.ts bundles this
 * file for the browser (esbuild, platform "browser", no Node built-ins available) into
 * src/_lib/analysis.js before Framework builds the site: if an analysis module ever reached for
 * I/O, the bundle would fail.
 */
export { metaAnalysis } from "../analysis/estimators/meta-analysis.ts";
export { minimumDetectableEffect, powerAt, requiredSampleSize, simulatePower, standardNormal } from "../analysis/power.ts";
export { Rerandomizer } from "../analysis/design/rerandomize.ts";
export { fastStream, uniform } from "../analysis/design/random.ts";
export { differenceInMeans } from "../analysis/estimators/difference-in-means.ts";
export { differenceInMeansClustered } from "../analysis/estimators/difference-in-means-clustered.ts";
