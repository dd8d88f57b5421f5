/** Protocol files are bundled as text (wrangler `Text` rule; a Vite transform in the worker tests). */
declare module "*.yaml" {
  const text: string;
  export default text;
}
