// tfjs-core's ES module files import each other without file extensions ("./gradients/Abs_grad"),
// which bundlers accept and Node does not: this resolve hook appends ".js" to such specifiers
// (or "/index.js" for a folder without a file of that name) inside @tensorflow/tfjs-core/dist, so that Node can load
// register_all_gradients.js. Registered by ./tf.mjs with module.register().
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (parent.includes("/@tensorflow/tfjs-core/dist/") && specifier.startsWith(".") && !/\.[cm]?js$/.test(specifier)) {
    const url = new URL(specifier, parent);
    const path = fileURLToPath(url);
    const file = existsSync(`${path}.js`) || !(existsSync(path) && statSync(path).isDirectory()) ? `${url.href}.js` : `${url.href}/index.js`;
    return next(file, context);
  }
  return next(specifier, context);
}
