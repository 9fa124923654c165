// Node, Deno and Bun run this in the throwaway project: the installed package, by name.
import { init } from "gumbel-wasm";
import { check } from "./check.mjs";

const result = await check(init);
// Which entry point the runtime's resolution picked (exports conditions).
result.entry = import.meta.resolve("gumbel-wasm").replace(/^.*node_modules\/gumbel-wasm\//, "");
console.log(JSON.stringify(result));
