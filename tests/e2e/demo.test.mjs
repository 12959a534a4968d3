// The demo page, as a user opens it: a visitor gets authenticated through the wasm package.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SERVER_URL, launch, newOrg, control } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the demo page authenticates a visitor and shows its id and token expiry", async () => {
  const org = newOrg();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="ok"]').waitFor();
  const visitorId = await page.locator("#visitor-id").textContent();
  assert.match(visitorId, /^[0-9a-f]{32}$/);
  assert.notEqual(await page.locator("#expires-at").textContent(), "–");
  assert.equal(await page.locator("#organization-id").textContent(), org);
  const stats = await control(`/orgs/${org}/stats`);
  assert.equal(stats.auth_requests, 1);
  assert.equal(stats.log[0].visitor_id, visitorId);

  // A reload is the same visitor: the secret was kept in localStorage and sent again.
  await page.reload();
  await page.locator('#status[data-state="ok"]').waitFor();
  assert.equal(await page.locator("#visitor-id").textContent(), visitorId);
  const again = await control(`/orgs/${org}/stats`);
  assert.equal(again.log.at(-1).secret_sent, true);
  assert.equal(again.log.at(-1).visitor_id, visitorId);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the demo page shows a server error as an error", async () => {
  const org = newOrg();
  await control(`/orgs/${org}/faults`, { method: "PUT", body: JSON.stringify({ status: 403, times: 1 }) });
  const page = await browser.newPage();
  await page.goto(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="error"]').waitFor();
  assert.match(await page.locator("#status").textContent(), /^http: .*403/);
  await page.close();
});
