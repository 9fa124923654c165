// A pool worker as a module Web Worker (browsers, Deno): see pool.ts.
import { workerHandler, type JobMessage, type StartMessage } from "./pool.js";

const scope = globalThis as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: StartMessage | JobMessage }) => void) | null;
};
const handle = workerHandler((reply) => scope.postMessage(reply));
scope.onmessage = (event) => handle(event.data);
