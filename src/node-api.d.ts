// The Node APIs the Node entry point and its worker use (the library is compiled without Node's
// types, so that nothing else of Node can slip into the browser and edge entry points).
declare module "node:fs/promises" {
  export function readFile(path: URL): Promise<Uint8Array>;
}
declare module "node:os" {
  export function availableParallelism(): number;
}
declare module "node:worker_threads" {
  export class Worker {
    constructor(code: string, options: { eval: true });
    on(event: "message", listener: (data: unknown) => void): this;
    on(event: "error", listener: (error: Error) => void): this;
    on(event: "exit", listener: (code: number) => void): this;
    postMessage(message: unknown): void;
    ref(): void;
    unref(): void;
    terminate(): Promise<number>;
  }
  export const parentPort: {
    on(event: "message", listener: (data: never) => void): void;
    postMessage(message: unknown): void;
  } | null;
}
