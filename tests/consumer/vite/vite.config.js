export default {
  // The package loads its .wasm next to its module: keep it out of dev pre-bundling.
  optimizeDeps: { exclude: ["giosg-visitor"] },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  logLevel: "warn",
};
