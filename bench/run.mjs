// The benchmark table: size, start-up, network and memory (see README, "Benchmarks").
// Run through `bash bench/run.sh`, which builds the package and starts the local servers:
// DEMO_URL serves www/ (the many-tabs page), BENCH_URL serves bench/page/.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ROOT, measure, sizeTable } from "./size.mjs";

const DEMO_URL = process.env.DEMO_URL;
const BENCH_URL = process.env.BENCH_URL;
const LOADS = Number(process.env.BENCH_LOADS ?? 20);
/** Which parts to run: BENCH_ONLY=startup,network (default: all). */
const ONLY = (process.env.BENCH_ONLY ?? "size,startup,network,memory").split(",");

async function control(base, path, init) {
  const response = await fetch(`${base}/__control${path}`, init);
  return response.status === 204 ? null : response.json();
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), min: sorted[0], max: sorted.at(-1), p10: at(0.1), p90: at(0.9) };
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--js-flags=--expose-gc", "--enable-precise-memory-info"],
});

/** Start-up pages of the bench's server, each timed by the page itself from its HTML received
 * (the navigation's `responseEnd`) to a token in hand (the empty module: to its `init()`
 * resolved). The floors are bench/page/*.html; the quick starts are written into
 * bench/page/startup/ by `writeStartupPages()`, each without and with its README's preload. */
const STARTUP_PAGES = [
  ["floor.html", "floor: a bare `fetch()` of the auth endpoint"],
  ["empty-module.html", "the stack's floor: an empty wasm-bindgen module, until `init()` resolves"],
  ["startup/esm.html", "native ES modules quick start, the import alone"],
  ["startup/esm-preload.html", "native ES modules quick start, with its preload links"],
  ["startup/vite/plain.html", "bundler quick start (Vite 8 build), the script alone"],
  ["startup/vite/preload.html", "bundler quick start (Vite 8 build), with its preload link"],
  ["startup/embed.html", "script-tag quick start, the script alone"],
  ["startup/embed-preload.html", "script-tag quick start, with its preload link"],
];
/** Emulated network latency added to every request, in ms: none (the loopback), and 50 ms. */
const LATENCIES = [0, 50];

/** What each quick start page does once the SDK is imported: a new visitor's token, timed. */
const TIMED = `await ready;
  const readyAt = performance.now();
  const visitor = new Visitor({ organizationId: new URLSearchParams(location.search).get("org"), apiBaseUrl: location.origin });
  await visitor.authenticate();
  const htmlReceived = performance.getEntriesByType("navigation")[0].responseEnd;
  window.result = { ms: performance.now() - htmlReceived, ready: readyAt - htmlReceived };`;

/** In the head of a quick start page: times the SDK's first Web Lock (asked to granted) and its
 * first localStorage read; with `?wake=1`, wakes the lock manager first, as early as a page can. */
const LOCK_WAIT = `<script>
  if (new URLSearchParams(location.search).get("wake") === "1") navigator.locks.query();
  const request = LockManager.prototype.request;
  LockManager.prototype.request = function (name, options, callback) {
    const asked = performance.now();
    return request.call(this, name, options, (lock) => {
      window.firstLock ??= performance.now() - asked;
      return callback(lock);
    });
  };
  const getItem = Storage.prototype.getItem;
  Storage.prototype.getItem = function (key) {
    const start = performance.now();
    try {
      return getItem.call(this, key);
    } finally {
      window.firstRead ??= performance.now() - start;
    }
  };
</script>`;

/** The code block marked `<!-- quickstart: name -->` in one of the READMEs. */
function quickstart(file, name) {
  const block = new RegExp(`<!-- quickstart: ${name} -->\n\`\`\`\\w+\n([\\s\\S]*?)\n\`\`\`\n`).exec(readFileSync(join(ROOT, file), "utf8"));
  if (!block) throw new Error(`${file} has no quick start named ${name}`);
  return block[1];
}

/** The `<link>` lines of a quick start's HTML: its preloads. */
const preloadLinks = (html) => html.split("\n").filter((line) => line.trimStart().startsWith("<link")).join("\n");

const startupPage = (title, head, body) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>\n${head}</head>\n<body>\n${body}\n</body>\n</html>\n`;

/** Writes the quick starts' pages into bench/page/startup/, the package served at /pkg/: native ES
 * modules and the script tag as pages, the bundler's built by Vite 8 from the README's index.html
 * (with the package installed as pkg/). Each without and with the preload links of its README. */
function writeStartupPages() {
  const dir = join(ROOT, "bench/page/startup");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const esmLinks = `${preloadLinks(quickstart("packaging/README.md", "esm")).replaceAll("/node_modules/giosg-visitor/", "/pkg/")}\n`;
  const esm = `<script type="module">\n  import { ready, Visitor } from "/pkg/index.js";\n  ${TIMED}\n</script>`;
  writeFileSync(join(dir, "esm.html"), startupPage("native ES modules, the import alone", "", esm));
  writeFileSync(join(dir, "esm-preload.html"), startupPage("native ES modules, preloaded", esmLinks, esm));
  const timedLock = `<script type="module">\n  import { ready, Visitor } from "/pkg/index.js";\n  ${TIMED}\n  Object.assign(window.result, { lock: window.firstLock, read: window.firstRead });\n</script>`;
  writeFileSync(join(dir, "lock-wait.html"), startupPage("native ES modules, preloaded, the SDK's first lock timed", `${LOCK_WAIT}\n${esmLinks}`, timedLock));
  const embedLinks = `${preloadLinks(quickstart("README.md", "embed-html")).replaceAll("/js/", "/pkg/embed/")}\n`;
  const embed = `<script src="/pkg/embed/giosg-visitor.js"></script>\n<script>\n  const { ready, Visitor } = GiosgVisitor;\n  (async () => {\n  ${TIMED}\n  })();\n</script>`;
  writeFileSync(join(dir, "embed.html"), startupPage("script tag, the script alone", "", embed));
  writeFileSync(join(dir, "embed-preload.html"), startupPage("script tag, preloaded", embedLinks, embed));

  const app = mkdtempSync(join(tmpdir(), "giosg-visitor-bench-startup-"));
  try {
    const html = quickstart("README.md", "bundler-html");
    writeFileSync(join(app, "preload.html"), html);
    writeFileSync(join(app, "plain.html"), html.split("\n").filter((line) => !line.trimStart().startsWith("<link")).join("\n"));
    writeFileSync(join(app, "main.js"), `import { ready, Visitor } from "giosg-visitor";\n${TIMED}\n`);
    writeFileSync(join(app, "vite.config.js"), `export default { base: "/startup/vite/", build: { rollupOptions: { input: ["plain.html", "preload.html"] } } };\n`);
    mkdirSync(join(app, "node_modules"));
    symlinkSync(join(ROOT, "pkg"), join(app, "node_modules/giosg-visitor"));
    execFileSync(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", app, "--logLevel", "error",
      "--outDir", join(dir, "vite")], { cwd: app, stdio: "pipe" });
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

/** A fresh page, each request of which waits `latency` ms more (the DevTools protocol's network
 * emulation, set before the page's first request). */
async function pageWithLatency(context, latency) {
  const page = await context.newPage();
  if (latency > 0) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
  }
  return page;
}

/** Loads `url` and waits for the page's `window.result`. Through a plain DevTools protocol
 * `Runtime.evaluate`, not Playwright's `waitForFunction`: that injects Playwright's own script
 * (some 330 KB) into the page the moment `goto` returns (at the page's `load`, while the SDK
 * starts), and parsing it held the main thread for 20 – 60 ms inside the timed window, landing at
 * random in the SDK's first run or in the floor's request. */
async function timedLoad(page, url) {
  await page.goto(url);
  const cdp = await page.context().newCDPSession(page);
  const { result } = await cdp.send("Runtime.evaluate", {
    expression: "new Promise((resolve) => { const look = () => (window.result ? resolve(JSON.stringify(window.result)) : setTimeout(look, 20)); look(); })",
    awaitPromise: true,
    returnByValue: true,
  });
  await cdp.detach();
  return JSON.parse(result.value);
}

/** Every start-up page at every latency, each load in a fresh browser context (a new visitor),
 * interleaved so that all see the same machine at the same moments. Then the returning visitor:
 * the preloaded native ES modules quick start reloaded, its session cached. */
async function startup() {
  writeStartupPages();
  const org = randomUUID();
  const times = new Map(STARTUP_PAGES.flatMap(([page]) => LATENCIES.map((latency) => [`${page} ${latency}`, { ms: [], ready: [], scriptStart: [] }])));
  for (let i = 0; i < LOADS; i++) {
    for (const latency of LATENCIES) {
      for (const [page] of STARTUP_PAGES) {
        const context = await browser.newContext();
        const result = await timedLoad(await pageWithLatency(context, latency), `${BENCH_URL}/${page}?org=${org}`);
        const into = times.get(`${page} ${latency}`);
        into.ms.push(result.ms);
        if (typeof result.ready === "number") into.ready.push(result.ready);
        if (typeof result.scriptStart === "number") into.scriptStart.push(result.scriptStart);
        await context.close();
      }
    }
  }
  const returning = new Map();
  for (const latency of LATENCIES) {
    const context = await browser.newContext();
    const page = await pageWithLatency(context, latency);
    const url = `${BENCH_URL}/startup/esm-preload.html?org=${org}`;
    await timedLoad(page, url);
    const before = (await control(BENCH_URL, `/orgs/${org}/stats`)).auth_requests;
    const ms = [];
    for (let i = 0; i < LOADS; i++) ms.push((await timedLoad(page, url)).ms);
    const requests = (await control(BENCH_URL, `/orgs/${org}/stats`)).auth_requests - before;
    returning.set(latency, { ms: stats(ms), requests });
    await context.close();
  }
  const summary = new Map([...times].map(([key, { ms, ready, scriptStart }]) =>
    [key, { ms: stats(ms), ready: ready.length ? stats(ready) : null, scriptStart: scriptStart.length ? stats(scriptStart) : null }]));
  return { summary, returning, locks: await lockWait() };
}

/** The SDK's first Web Lock (asked to granted) and first localStorage read in the preloaded
 * native ES modules quick start, without and with the lock manager woken first thing in the page
 * (bench/page/startup/lock-wait.html). */
async function lockWait() {
  const samples = new Map();
  for (let i = 0; i < LOADS; i++) {
    for (const latency of LATENCIES) {
      for (const wake of [0, 1]) {
        const context = await browser.newContext();
        const result = await timedLoad(await pageWithLatency(context, latency), `${BENCH_URL}/startup/lock-wait.html?org=${randomUUID()}&wake=${wake}`);
        const into = samples.get(`${wake} ${latency}`) ?? { lock: [], read: [], ms: [] };
        samples.set(`${wake} ${latency}`, into);
        into.lock.push(result.lock);
        into.read.push(result.read);
        into.ms.push(result.ms);
        await context.close();
      }
    }
  }
  return new Map([...samples].map(([key, { lock, read, ms }]) => [key, { lock: stats(lock), read: stats(read), ms: stats(ms) }]));
}

async function network(tabs, seconds) {
  const org = randomUUID();
  await control(DEMO_URL, `/orgs/${org}/config`, { method: "PUT", body: JSON.stringify({ expires_in: 3 }) });
  const context = await browser.newContext();
  const pages = [];
  for (let i = 0; i < tabs; i++) {
    const page = await context.newPage();
    await page.goto(`${DEMO_URL}/tab.html?org=${org}`);
    await page.waitForFunction(() => window.tab?.ready === true);
    pages.push(page);
  }
  await control(DEMO_URL, `/orgs/${org}/stats`, { method: "DELETE" });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const { auth_requests: requests } = await control(DEMO_URL, `/orgs/${org}/stats`);
  await context.close();
  return requests;
}

async function memory(renewals, baseline) {
  const org = randomUUID();
  const page = await browser.newPage();
  await page.goto(`${BENCH_URL}/memory.html?org=${org}&renewals=${renewals}${baseline ? "&baseline=1" : ""}`);
  const result = await (await page.waitForFunction(() => window.result, null, { timeout: 300_000 })).jsonValue();
  await page.close();
  return result;
}

async function notifications(count, baseline) {
  const org = randomUUID();
  const { id: room } = await control(BENCH_URL, `/orgs/${org}/rooms`, { method: "POST", body: "{}" });
  const page = await browser.newPage();
  await page.goto(`${BENCH_URL}/notifications.html?org=${org}&room=${room}&count=${count}${baseline ? "&baseline=1" : ""}`);
  const result = await (await page.waitForFunction(() => window.result, null, { timeout: 300_000 })).jsonValue();
  await page.close();
  if (result.heard !== count) throw new Error(`notifications: ${result.heard} of ${count} heard`);
  return result;
}

/** A memory table's row: start, middle, end, and the growth over the second half. */
const memoryRow = (name, r, key) => `| ${name} | ${kb(r.start[key])} | ${kb(r.middle[key])} | ${kb(r.end[key])} | ${kb(r.end[key] - r.middle[key])} |`;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n) => `${n.toFixed(0)} ms`;
const out = [];
if (ONLY.includes("size")) out.push("### Size", "", sizeTable(measure()), "");

if (ONLY.includes("startup")) {
const { summary, returning, locks } = await startup();
const at = (page, latency) => summary.get(`${page} ${latency}`);
const floor = (latency) => at("floor.html", latency).ms.median;
// When the floor's module started: no page's script can send anything sooner.
const scriptStart = (latency) => at("floor.html", latency).scriptStart.median;
const cell = (s, latency) =>
  `${ms(s.median)} (${ms(s.p10)} – ${ms(s.p90)}) | ${(s.median / floor(latency)).toFixed(1)}× | ${((s.median - scriptStart(latency)) / (floor(latency) - scriptStart(latency))).toFixed(1)}×`;
out.push(`### Start-up (headless Chromium, a fresh browser context per load, ${LOADS} loads each, interleaved)`, "");
out.push("From the page's HTML received to a token in hand: median (p10 – p90); the median against the floor's at the same latency; and the same with the floor's script start taken off both (each timed from when a page's script can first run).", "");
out.push("| page | loopback | × floor | × floor, from script start | 50 ms per request | × floor | × floor, from script start |", "|---|---:|---:|---:|---:|---:|---:|");
for (const [page, name] of STARTUP_PAGES) out.push(`| ${name} | ${LATENCIES.map((latency) => cell(at(page, latency).ms, latency)).join(" | ")} |`);
out.push(`| returning visitor, valid cached session (native ES modules, preloaded, reloaded): ${returning.get(0).requests + returning.get(50).requests} auth requests in all | ${LATENCIES.map((latency) => cell(returning.get(latency).ms, latency)).join(" | ")} |`, "");
const ready = STARTUP_PAGES.filter(([page]) => at(page, 0).ready)
  .map(([page, name]) => `${name}: ${LATENCIES.map((latency) => ms(at(page, latency).ready.median)).join(" / ")}`);
out.push(`Of that, until \`ready\` resolved (medians, loopback / 50 ms): ${ready.join("; ")}.`, "");
const floorScript = LATENCIES.map((latency) => ms(at("floor.html", latency).scriptStart.median)).join(" / ");
out.push(`The floor's module started ${floorScript} after its HTML arrived (medians, loopback / 50 ms).`, "");
const fine = (n) => `${n.toFixed(1)} ms`;
const lockCells = (wake, key) => LATENCIES.map((latency) => fine(locks.get(`${wake} ${latency}`)[key].median)).join(" / ");
out.push(`In the preloaded native ES modules quick start (medians, loopback / 50 ms), the SDK's first Web Lock waits ${lockCells(0, "lock")} from asked to granted, its first localStorage read takes ${lockCells(0, "read")}, and the token comes at ${lockCells(0, "ms")}; with the lock manager woken first thing in the page (\`navigator.locks.query()\` in a script of its head), the lock waits ${lockCells(1, "lock")} and the token comes at ${lockCells(1, "ms")}.`, "");
}

if (ONLY.includes("network")) {
const seconds = 15;
const base = await network(1, seconds);
out.push(`### Network (3 s tokens, renewed every 1.2 – 1.5 s, ${seconds} s per row)`, "");
out.push("| tabs | auth requests | per renewal cycle (1 tab = 1 request per cycle) |", "|---:|---:|---:|");
out.push(`| 1 | ${base} | 1.00 |`);
for (const tabs of [4, 8]) {
  const requests = await network(tabs, seconds);
  out.push(`| ${tabs} | ${requests} | ${(requests / base).toFixed(2)} |`);
}
out.push("");
}

if (ONLY.includes("memory")) {
const m = await memory(1000, false);
const b = await memory(1000, true);
out.push(`### Memory (after 200 warm-up renewals: ${m.renewals} renewals, then ${m.renewals} more; after a full GC)`, "");
out.push("| | start | after 1,000 | after 2,000 | growth in the second 1,000 |", "|---|---:|---:|---:|---:|");
out.push(memoryRow("wasm linear memory", m, "wasm"));
if (m.start.heap !== null) {
  out.push(memoryRow("JS heap (used)", m, "heap"));
  out.push(memoryRow("JS heap, baseline: the same requests by plain fetch()", b, "heap"));
}
}
if (ONLY.includes("memory")) {
const n = await notifications(10000, false);
const b = await notifications(10000, true);
out.push("", `### Memory over real-time notifications (after 1,000 warm-up notifications: ${n.count / 2}, then ${n.count / 2} more, each heard by the channel's listener; after a full GC)`, "");
out.push("| | start | after 5,000 | after 10,000 | growth in the second 5,000 |", "|---|---:|---:|---:|---:|");
out.push(memoryRow("wasm linear memory", n, "wasm"));
if (n.start.heap !== null) {
  out.push(memoryRow("JS heap (used)", n, "heap"));
  out.push(memoryRow("JS heap, baseline: the same frames on a plain WebSocket, JSON.parse", b, "heap"));
}
}
await browser.close();
console.log(out.join("\n"));
