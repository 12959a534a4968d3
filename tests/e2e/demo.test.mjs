// The pages as a user opens them: the demo page (the ES module entry of the package) shows a
// visitor's lifecycle, and the embed page (the script tag) works under a strict CSP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { SERVER_URL, launch, newOrg, control } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(url) {
  const page = await browser.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  // Console errors of the page's code (the browser's own network log lines are not).
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) page.errors.push(message.text());
  });
  await page.goto(url);
  return page;
}

test("the demo page authenticates a visitor and shows its id and token expiry", async () => {
  const org = newOrg();
  const page = await open(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="ok"]').waitFor();
  const visitorId = await page.locator("#visitor-id").textContent();
  assert.match(visitorId, /^[0-9a-f]{32}$/);
  assert.match(await page.locator("#expires-at").textContent(), /^expires \d/);
  assert.equal(await page.locator("#organization-id").textContent(), org);
  const stats = await control(`/orgs/${org}/stats`);
  assert.equal(stats.auth_requests, 1);
  assert.equal(stats.log[0].visitor_id, visitorId);

  // A reload is the same visitor, from the cached session: no request.
  await page.reload();
  await page.locator('#status[data-state="ok"]').waitFor();
  assert.equal(await page.locator("#visitor-id").textContent(), visitorId);
  assert.equal(await page.locator('#log li[data-kind="session"]').first().getAttribute("data-source"), "cache");
  assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the demo's timeline shows a renewal and an injected fault, and the screenshot is saved", async () => {
  const org = newOrg();
  const page = await open(`${SERVER_URL}/?org=${org}&lifetime=2`);
  await page.setViewportSize({ width: 1200, height: 900 });
  // The first session, then a renewal from the timer (a 2 s token renews after 1 to 1.2 s).
  await page.locator('#log li[data-kind="session"]').nth(1).waitFor({ timeout: 5000 });
  const sources = await page.locator('#log li[data-kind="session"]').evaluateAll((items) => items.map((i) => i.dataset.source));
  assert.ok(sources.every((s) => s === "network"), sources.join());
  // A fault from the page's own controls shows as an error event, then recovery.
  await page.locator("button.fault", { hasText: "500 once" }).click();
  await page.locator('#log li[data-kind="error"]').first().waitFor({ timeout: 5000 });
  assert.match(await page.locator('#log li[data-kind="error"]').first().textContent(), /http.*500/);
  await page.locator('#status[data-state="ok"]').waitFor({ timeout: 5000 });
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/demo.png", fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the demo page shows a server error as an error", async () => {
  const org = newOrg();
  await control(`/orgs/${org}/faults`, { method: "PUT", body: JSON.stringify({ status: 403, times: 1 }) });
  const page = await open(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="error"]').waitFor();
  assert.match(await page.locator("#status").textContent(), /^http: .*403/);
  await page.close();
});

test("the demo's consent switch moves the visitor between localStorage and memory, keeping it", async () => {
  const org = newOrg();
  // Started without consent: in memory, nothing in localStorage.
  const page = await open(`${SERVER_URL}/?org=${org}&consent=0`);
  await page.locator('#status[data-state="ok"]').waitFor();
  const visitorId = await page.locator("#visitor-id").textContent();
  const keys = () => page.evaluate((o) => Object.keys(localStorage).filter((k) => k.endsWith(":secret") || k.includes(o)), org);
  assert.equal(await page.locator("#storage-kind").textContent(), "memory");
  assert.deepEqual(await keys(), []);
  // Consent given: the keys appear, the identity stays, nothing is sent.
  await page.locator("#consent").check();
  await page.locator("#storage-kind", { hasText: "local" }).waitFor();
  assert.equal((await keys()).length, 2);
  assert.match(await page.locator("#stored-keys").textContent(), /secret/);
  // Withdrawn: the keys go, the identity stays.
  await page.locator("#consent").uncheck();
  await page.locator("#storage-kind", { hasText: "memory" }).waitFor();
  assert.deepEqual(await keys(), []);
  assert.equal(await page.locator("#visitor-id").textContent(), visitorId);
  assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the script-tag embed authenticates under a strict Content Security Policy", async () => {
  const org = newOrg();
  const page = await open(`${SERVER_URL}/embed.html?org=${org}`);
  const violations = [];
  page.on("console", (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
  await page.locator('#status[data-state="ok"]').waitFor();
  assert.match(await page.locator("#visitor-id").textContent(), /^[0-9a-f]{32}$/);
  assert.equal(await page.evaluate(() => typeof window.wasm_bindgen), "undefined", "the glue stays out of the global scope");
  assert.equal(await page.evaluate(() => typeof window.GiosgVisitor.Visitor), "function");
  // Its errors are instances of the VisitorError it exports.
  const invalid = await page.evaluate(() => {
    try {
      new window.GiosgVisitor.Visitor({});
    } catch (error) {
      return error instanceof window.GiosgVisitor.VisitorError && error.code;
    }
  });
  assert.equal(invalid, "invalid_options");
  assert.deepEqual(violations, []);
  assert.deepEqual(page.errors, []);
  assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
  await page.close();
});
