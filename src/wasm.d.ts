// `.wasm` imports, as Cloudflare Workers (and wrangler, miniflare) provide them: a compiled module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
