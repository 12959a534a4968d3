// The package as users get it: installed from the `npm pack` tarball into a fresh app, bundled by
// Vite 8, Vite 6 and webpack 5 (and each bundle run in Chromium), served by the Vite 6 and Vite 8
// dev servers, imported in Node as a server renderer does, and type-checked by `tsc --strict`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAst } from "rolldown/parseAst";
import { SERVER_URL, launch, newOrg } from "./browser.mjs";
import { failsWhereMarked } from "./typescript.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules/.bin");
// Two versions of Vite (package.json: `vite`, and `vite6` an alias of an older one): each is run
// from its own folder, since both name their command `vite`.
const VITE = { 8: join(ROOT, "node_modules/vite"), 6: join(ROOT, "node_modules/vite6") };
let app;
let browser;

before(() => {
  const tarballs = readdirSync(join(ROOT, "target/package")).filter((f) => f.endsWith(".tgz"));
  assert.equal(tarballs.length, 1, "scripts/package.sh packs one tarball");
  app = mkdtempSync(join(tmpdir(), "giosg-visitor-app-"));
  cpSync(join(ROOT, "tests/consumer"), app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "an-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(ROOT, "target/package", tarballs[0])], { cwd: app, stdio: "pipe" });
});

after(async () => {
  await browser?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

test("the installed package holds what package.json promises, and nothing else", () => {
  const dir = join(app, "node_modules/giosg-visitor");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  assert.equal(manifest.exports["."].types, "./index.d.ts");
  const filesUnder = (path) =>
    execFileSync("find", [path, "-type", "f"], { cwd: dir, encoding: "utf8" }).split("\n").filter(Boolean).map((f) => f.replace(/^\.\//, ""));
  const promised = manifest.files.flatMap((entry) => filesUnder(entry));
  // No JS module of effects: they happen in the .wasm.
  assert.ok(!promised.some((f) => f.startsWith("web/snippets/")), "no JS snippets ship");
  assert.ok(promised.includes("web/giosg_visitor_bg.wasm"), "the .wasm ships");
  for (const file of promised) assert.ok(readFileSync(join(dir, file)).length > 0, file);
  assert.deepEqual(filesUnder(".").sort(), [...promised, "package.json"].sort());
});

/** The module specifiers a module's code imports: `import … from`, `export … from`, `import()`. */
function importsOf(code) {
  const found = [];
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    if (["ImportDeclaration", "ExportNamedDeclaration", "ExportAllDeclaration", "ImportExpression"].includes(node.type) && node.source) {
      found.push(node.source.value ?? `${node.type} of a computed specifier`);
    }
    for (const value of Object.values(node)) if (value && typeof value === "object") visit(value);
  };
  visit(parseAst(code).body);
  return found;
}

test("the entry and the embed are each one script that imports nothing: a page waits on no chain of modules", () => {
  const dir = join(app, "node_modules/giosg-visitor");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  for (const file of [manifest.exports["."].import, manifest.exports["./embed"].default]) {
    const code = readFileSync(join(dir, file), "utf8");
    assert.deepEqual(importsOf(code), [], file);
    // One error class inside: VisitorError, which its .wasm throws and it exports.
    assert.equal(code.match(/\bextends Error\b/g)?.length, 1, file);
  }
  // The check sees imports where there are some: the raw wasm-pack glue imports its error class.
  assert.deepEqual(importsOf(readFileSync(join(dir, "web/giosg_visitor.js"), "utf8")), ["./visitor-error.js"]);
});

/** Serves a bundle `dist` from a local server of its own (which is also its API), opens it in
 * Chromium, and checks that the app authenticated a visitor and saw the SDK's errors as it should. */
async function runBundle(dist) {
  const server = spawn(join(ROOT, "target/release/giosg-local-server"), ["--port", "0", "--www", dist]);
  try {
    const url = await new Promise((resolveUrl, reject) => {
      server.stdout.on("data", (chunk) => {
        const match = /giosg local server: (http:\/\/\S+)\//.exec(String(chunk));
        if (match) resolveUrl(match[1]);
      });
      server.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    await checkApp(`${url}/?org=${newOrg()}`);
  } finally {
    server.kill();
  }
}

/** Opens the app at `url` in Chromium: it authenticates a visitor, and sees the SDK's errors as it should. */
async function checkApp(url) {
  browser ??= await launch();
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.locator('#status:not([data-state="starting"])').waitFor();
    const status = page.locator("#status");
    assert.equal(await status.getAttribute("data-state"), "ok", await status.textContent());
    assert.match(await page.locator("#visitor-id").textContent(), /^[0-9a-f]{32}$/);
    assert.equal(await status.getAttribute("data-before-ready"), "VisitorError", "new Visitor() before ready");
    assert.equal(await status.getAttribute("data-invalid"), "invalid_options", "an SDK error is a VisitorError");
  } finally {
    await page.close();
  }
}

/** A dev server of Vite `version` on the app's vite/ folder, with `config` (over the app's
 * vite.config.js, unless `configFile: false`); the app's API is the local server (`?api=`). */
async function withDevServer(version, config, use) {
  const { createServer } = await import(join(VITE[version], "dist/node/index.js"));
  const server = await createServer({ root: join(app, "vite"), logLevel: "silent", server: { host: "127.0.0.1" }, ...config });
  try {
    await server.listen();
    await use(`${server.resolvedUrls.local[0]}?org=${newOrg()}&api=${encodeURIComponent(SERVER_URL)}`);
  } finally {
    await server.close();
  }
}

for (const version of [8, 6]) {
  test(`a Vite ${version} app bundles the package, and the bundle authenticates a visitor in Chromium`, async () => {
    // vite.config.js sets `build.target: "es2022"`, which Vite 6 needs for the top-level await.
    const outDir = `dist${version}`;
    execFileSync(process.execPath, [join(VITE[version], "bin/vite.js"), "build", join(app, "vite"), "--outDir", outDir], { cwd: app, stdio: "pipe" });
    const assets = readdirSync(join(app, "vite", outDir, "assets"));
    assert.ok(assets.some((f) => f.endsWith(".wasm")), `no .wasm among ${assets}`);
    await runBundle(join(app, "vite", outDir));
  });
}

test("Vite 6's dev server: the app's optimizeDeps.exclude makes it work; without it, the error the README quotes", async () => {
  // The app's vite.config.js has `optimizeDeps: { exclude: ["giosg-visitor"] }`.
  await withDevServer(6, { configFile: join(app, "vite/vite.config.js"), cacheDir: join(app, "vite/.vite6") }, checkApp);
  // Without it, Vite pre-bundles the package away from its .wasm, and serves a page for the .wasm.
  const quoted = ["README.md", "packaging/README.md"].map((readme) => {
    const match = /`(CompileError: WebAssembly\.instantiate\(\): expected magic word [^`]*)`/.exec(readFileSync(join(ROOT, readme), "utf8"));
    assert.ok(match, `${readme} quotes the error`);
    return match[1];
  });
  await withDevServer(6, { configFile: false, cacheDir: join(app, "vite/.vite6-no-exclude") }, async (url) => {
    browser ??= await launch();
    const page = await browser.newPage();
    try {
      await page.goto(url);
      const status = page.locator('#status:not([data-state="starting"])');
      await status.waitFor();
      assert.equal(await status.getAttribute("data-state"), "error");
      const shown = await status.textContent();
      for (const text of quoted) assert.ok(shown.startsWith(text), `${shown} is not: ${text}`);
    } finally {
      await page.close();
    }
  });
});

test("Vite 8's dev server needs no optimizeDeps.exclude", async () => {
  await withDevServer(8, { configFile: false, cacheDir: join(app, "vite/.vite8-no-exclude") }, checkApp);
});

test("a webpack 5 production build bundles the package, and the bundle authenticates a visitor in Chromium", async () => {
  const { default: webpack } = await import(join(ROOT, "node_modules/webpack/lib/index.js"));
  const { default: config } = await import(join(app, "webpack/webpack.config.mjs"));
  const stats = await new Promise((resolveStats, reject) => webpack(config, (error, result) => (error ? reject(error) : resolveStats(result))));
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  const dist = join(app, "webpack/dist");
  assert.ok(readdirSync(dist).some((f) => f.endsWith(".wasm")), `no .wasm among ${readdirSync(dist)}`);
  cpSync(join(app, "webpack/index.html"), join(dist, "index.html"));
  await runBundle(dist);
});

test("importing the package in Node (server-side rendering) is harmless", () => {
  // Nothing loads; `ready` rejects only for whoever awaits it; `new Visitor` says why it cannot.
  const script = `
    const { ready, Visitor, VisitorError } = await import("giosg-visitor");
    let thrown;
    try { new Visitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1" }); } catch (error) { thrown = error; }
    const rejected = await ready.then(() => null, (error) => error);
    console.log(JSON.stringify({
      thrown: thrown instanceof VisitorError && thrown.code,
      rejected: rejected instanceof VisitorError && rejected.code,
    }));`;
  const out = execFileSync("node", ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { thrown: "unsupported", rejected: "unsupported" });
  // A bare import, as a server renderer does it: exits 0, with no unhandled rejection.
  execFileSync("node", ["--input-type=module", "-e", 'await import("giosg-visitor");'], { cwd: app, stdio: "pipe" });
  // The embed, listed in exports, imports as harmlessly: its global says why it cannot run.
  const embed = `
    await import("giosg-visitor/embed");
    const rejected = await globalThis.GiosgVisitor.ready.then(() => null, (error) => error);
    console.log(JSON.stringify({ code: rejected && rejected.code, isError: rejected instanceof globalThis.GiosgVisitor.VisitorError }));`;
  const embedOut = execFileSync("node", ["--input-type=module", "-e", embed], { cwd: app, encoding: "utf8" });
  assert.deepEqual(JSON.parse(embedOut), { code: "unsupported", isError: true });
});

test("a TypeScript app type-checks against the shipped declarations with --strict", () => {
  execFileSync(join(BIN, "tsc"), ["-p", join(app, "ts/tsconfig.json")], { cwd: app, stdio: "pipe" });
});

test("wrong option types and unknown event names fail to type-check, each where it is", () => {
  failsWhereMarked(join(app, "ts/tsconfig.bad.json"), join(app, "ts/bad.ts"), 8, app);
});
