// A pool worker under node:worker_threads (Node, Bun): see pool.ts.
import { parentPort } from "node:worker_threads";
import { workerHandler } from "./pool.js";

const port = parentPort!;
const handle = workerHandler((reply) => port.postMessage(reply));
port.on("message", handle);
