// A Cloudflare Worker that imports the package (bundled with the "workerd" condition, the
// .wasm files imported as modules) and answers a request with the probe's seeded samples.
import { init } from "gumbel-wasm";
import { check } from "./check.mjs";

export default {
  async fetch() {
    return Response.json(await check(init));
  },
};
