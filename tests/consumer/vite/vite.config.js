export default {
  // Vite 7 and older: the package loads its .wasm next to its module, so keep it out of the dev
  // server's dependency pre-bundling (Vite 8 needs nothing).
  optimizeDeps: { exclude: ["giosg-visitor"] },
  // Vite 6 and older: their default build target predates top-level await, which main.js uses.
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  logLevel: "warn",
};
