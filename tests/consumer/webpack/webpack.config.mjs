// A user's webpack 5 production build of the same app as the Vite one (../vite/main.js).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export default {
  mode: "production",
  context: here,
  entry: "../vite/main.js",
  output: { path: join(here, "dist"), filename: "main.js", clean: true },
};
