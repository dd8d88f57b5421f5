/**
 * The Observable Plot marks the notebooks' pages draw with, bundled by build.ts (esbuild, with the
 * parts of d3 they need) into src/_lib/plot.js: one module for the browser to fetch instead of Plot
 * plus some thirty d3 packages, each a request of its own when Framework resolves them. A page
 * that needs another mark adds it here.
 */
export { areaY, dot, lineY, plot, ruleX, ruleY } from "@observablehq/plot";
