// The React binding in a Next.js app (App Router), as the README's "Next.js" section writes it: the
// packed tarball installed with Next.js into target/nextjs-app/ (kept between runs: a second run
// installs nothing new), the README's `app/layout.tsx` (a Server Component that renders
// `<VisitorProvider>` and preloads the .wasm) and `app/page.tsx` (marked
// `<!-- quickstart: next-… -->`) as written, `next build` (Turbopack, Next.js 16's default) and
// `next start`, then Chromium against the local server: the server's HTML holds the loading state
// and the .wasm's preload link, the page hydrates without a warning, one auth request, an
// authorized room request, and a reload takes the stored session with no auth request. No
// network fonts and no telemetry (NEXT_TELEMETRY_DISABLED=1); the browser may reach nothing
// but the app and the local server.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { launch, localServer, stopLocalServers } from "./browser.mjs";
import { cachedApp } from "./cached-app.mjs";
import { answerApi, checkRoom, roomLogged, shownVisitor, watchedPage } from "./framework-page.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const DEV = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies;
// Next.js 16 with React and the TypeScript that `next build` checks the app with.
const DEPENDENCIES = {
  next: "16.5.0",
  react: DEV.react,
  "react-dom": DEV["react-dom"],
  typescript: DEV.typescript,
  "@types/react": DEV["@types/react"],
  "@types/node": "22.20.7",
};
const NEXT_ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" };

let browser;
let server;

after(async () => {
  await browser?.close();
  server?.kill();
  stopLocalServers();
});

/** The README's code blocks marked `<!-- quickstart: next-… -->`: name → code. */
function nextQuickstarts() {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  return new Map([...text.matchAll(/<!-- quickstart: (next-[\w-]+) -->\n```tsx\n([\s\S]*?)\n```\n/g)].map(([, name, code]) => [name, `${code}\n`]));
}

/** `next start` on a free port; resolves to its URL once it is ready. */
function nextStart(dir) {
  server = spawn(process.execPath, [join(dir, "node_modules/next/dist/bin/next"), "start", "--port", "0", "--hostname", "127.0.0.1"], { cwd: dir, env: NEXT_ENV });
  let output = "";
  return new Promise((resolveUrl, reject) => {
    const read = (chunk) => {
      output += chunk;
      const port = /Local:\s+http:\/\/[^:\s]+:(\d+)/.exec(output);
      if (port && /Ready in/.test(output)) resolveUrl(`http://127.0.0.1:${port[1]}`);
    };
    server.stdout.on("data", read);
    server.stderr.on("data", read);
    server.on("exit", (code) => reject(new Error(`next start exited with ${code}: ${output}`)));
  });
}

test("Next.js App Router: a Server Component layout renders <VisitorProvider>; the server sends the loading state, hydration does not warn, one auth request, an authorized request, a reload with none", async (t) => {
  const blocks = nextQuickstarts();
  assert.deepEqual([...blocks.keys()].sort(), ["next-layout", "next-page"]);
  const dir = cachedApp("nextjs-app", DEPENDENCIES);
  rmSync(join(dir, "app"), { recursive: true, force: true });
  rmSync(join(dir, ".next"), { recursive: true, force: true });
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app/layout.tsx"), blocks.get("next-layout"));
  writeFileSync(join(dir, "app/page.tsx"), blocks.get("next-page"));
  // The app sits inside this repository, whose own lockfile Next.js would take for the
  // workspace's root: name the app's folder instead (an app of its own needs no config).
  writeFileSync(join(dir, "next.config.mjs"), "export default { turbopack: { root: import.meta.dirname }, outputFileTracingRoot: import.meta.dirname };\n");

  const started = Date.now();
  let built;
  try {
    built = execFileSync(process.execPath, [join(dir, "node_modules/next/dist/bin/next"), "build"], { cwd: dir, env: NEXT_ENV, encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    assert.fail(`next build failed:\n${error.stdout}${error.stderr}`);
  }
  t.diagnostic(`next build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.doesNotMatch(built, /warn/i, built);

  const api = await localServer();
  const url = await nextStart(dir);
  const org = /organizationId: "([0-9a-f-]{36})"/.exec(blocks.get("next-layout"))[1];
  const stats = async () => (await fetch(`${api}/__control/orgs/${org}/stats`)).json();

  // The server's HTML: the loading state, and the .wasm's preload link in <head>.
  const html = await (await fetch(`${url}/`)).text();
  assert.match(html, /<p>Connecting…<\/p>/);
  const preload = /<link rel="preload" href="(\/_next\/static\/media\/giosg_visitor_bg\.[^"]+\.wasm)" as="fetch" crossorigin=""/.exec(html);
  assert.ok(preload, `no preload link of the .wasm in ${html.slice(0, html.indexOf("</head>"))}`);

  browser ??= await launch();
  const context = await browser.newContext();
  try {
    const outside = [];
    await context.route("**", (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === "127.0.0.1") return route.continue();
      outside.push(route.request().url());
      return route.abort();
    });
    const traffic = await answerApi(context, api);
    // Hydration's warnings (a mismatch) are console errors and warnings.
    const page = await watchedPage(context, { warnings: true });
    const logged = roomLogged(page);

    await page.goto(`${url}/`);
    const answer = await shownVisitor(page, traffic, "Next.js");
    let counts = await stats();
    assert.equal(counts.auth_requests, 1, JSON.stringify(counts.log));
    assert.equal(counts.log[0].visitor_id, answer.visitor_id);
    // The .wasm was downloaded once: by the preload link, whose response the SDK took.
    const wasm = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm")).map((e) => [new URL(e.name).pathname, e.initiatorType]));
    assert.deepEqual(wasm, [[preload[1], "link"]]);

    // The room request carries the visitor's token.
    await checkRoom(page, traffic, answer, logged);
    counts = await stats();
    assert.equal(counts.api_requests, 1, JSON.stringify(counts.log));

    // A reload: the stored session, with no auth request.
    await page.reload();
    const visitorLine = page.locator("p", { hasText: /^Visitor [0-9a-f]{32}/ });
    await visitorLine.waitFor({ timeout: 30_000 });
    assert.match(await visitorLine.textContent(), new RegExp(`^Visitor ${answer.visitor_id}\\b`));
    counts = await stats();
    assert.equal(counts.auth_requests, 1, JSON.stringify(counts.log));

    assert.deepEqual(page.errors, []);
    assert.deepEqual(outside, []);
  } finally {
    await context.close();
  }
});
