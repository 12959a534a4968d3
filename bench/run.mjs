// The benchmark table: size, start-up, network and memory (see README, "Benchmarks").
// Run through `bash bench/run.sh`, which builds the package and starts the local servers:
// DEMO_URL serves www/ (the many-tabs page), BENCH_URL serves bench/page/.
import { randomUUID } from "node:crypto";
import { chromium } from "playwright-core";
import { measure, sizeTable } from "./size.mjs";

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

/** Start-up of `page` in a fresh browser context each time, interleaved with the floor (a bare
 * fetch() of the same endpoint), so that both see the same machine at the same moments. */
async function freshLoads(org) {
  const fresh = [];
  const floor = [];
  const loaded = [];
  for (let i = 0; i < LOADS; i++) {
    for (const [name, into] of [["startup", fresh], ["floor", floor]]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${BENCH_URL}/${name}.html?org=${org}`);
      await page.waitForFunction(() => window.result);
      const result = await page.evaluate(() => window.result);
      into.push(result.ms);
      if (result.loaded !== undefined) loaded.push(result.loaded);
      await context.close();
    }
  }
  return { fresh, floor, loaded };
}

async function startup() {
  const org = randomUUID();
  const { fresh, floor, loaded } = await freshLoads(org);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BENCH_URL}/startup.html?org=${org}`);
  await page.waitForFunction(() => window.result);
  const before = (await control(BENCH_URL, `/orgs/${org}/stats`)).auth_requests;
  const returning = [];
  for (let i = 0; i < LOADS; i++) {
    await page.reload();
    await page.waitForFunction(() => window.result);
    returning.push(await page.evaluate(() => window.result.ms));
  }
  const requests = (await control(BENCH_URL, `/orgs/${org}/stats`)).auth_requests - before;
  await context.close();
  return { fresh: stats(fresh), floor: stats(floor), loaded: stats(loaded), returning: stats(returning), returningRequests: requests };
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

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n) => `${n.toFixed(0)} ms`;
const out = [];
if (ONLY.includes("size")) out.push("### Size", "", sizeTable(measure()), "");

if (ONLY.includes("startup")) {
const s = await startup();
out.push(`### Start-up (headless Chromium, ${LOADS} page loads each)`, "");
out.push("| visitor | median | p10 – p90 | min – max | auth requests |", "|---|---:|---:|---:|---:|");
out.push(`| new (fresh browser context) | ${ms(s.fresh.median)} | ${ms(s.fresh.p10)} – ${ms(s.fresh.p90)} | ${ms(s.fresh.min)} – ${ms(s.fresh.max)} | 1 each |`);
out.push(`| floor: a bare fetch() of the auth endpoint, same kind of load | ${ms(s.floor.median)} | ${ms(s.floor.p10)} – ${ms(s.floor.p90)} | ${ms(s.floor.min)} – ${ms(s.floor.max)} | 1 each |`);
out.push(`| returning, valid cached session (reload) | ${ms(s.returning.median)} | ${ms(s.returning.p10)} – ${ms(s.returning.p90)} | ${ms(s.returning.min)} – ${ms(s.returning.max)} | ${s.returningRequests} in all |`, "");
out.push(`New visitor against the floor (medians): ${(s.fresh.median / s.floor.median).toFixed(2)}×. Of the new visitor's time, loading the SDK (module, glue, .wasm, \`ready\`) took a median ${ms(s.loaded.median)} (p10 – p90 ${ms(s.loaded.p10)} – ${ms(s.loaded.p90)}).`, "");
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
const row = (name, r, key) => `| ${name} | ${kb(r.start[key])} | ${kb(r.middle[key])} | ${kb(r.end[key])} | ${kb(r.end[key] - r.middle[key])} |`;
out.push(row("wasm linear memory", m, "wasm"));
if (m.start.heap !== null) {
  out.push(row("JS heap (used)", m, "heap"));
  out.push(row("JS heap, baseline: the same requests by plain fetch()", b, "heap"));
}
}
await browser.close();
console.log(out.join("\n"));
