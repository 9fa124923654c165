// The one Node API the Node entry point uses (the library is compiled without Node's types, so
// that nothing else of Node can slip into the browser and edge entry points).
declare module "node:fs/promises" {
  export function readFile(path: URL): Promise<Uint8Array>;
}
