// Shared by the framework tests (react, nextjs, vue): a Chromium page of a framework quick start
// whose requests to the giosg API are answered by a local server, and the checks those quick
// starts share (the room request, the consent banner).
import assert from "node:assert/strict";

/** The default `apiBaseUrl`, which the quick starts use. */
export const API = "https://service.giosg.com";

/**
 * A new page of `context` whose problems are collected in `page.errors`: uncaught errors, and
 * console errors (with `warnings`, console warnings too). The browser's own line for an answer of
 * 404 (the quick starts' placeholder room) is not the page's.
 */
export async function watchedPage(context, { warnings = false } = {}) {
  const page = await context.newPage();
  page.errors = [];
  const levels = warnings ? ["error", "warning"] : ["error"];
  page.on("pageerror", (error) => page.errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (levels.includes(message.type()) && !message.text().startsWith("Failed to load resource")) page.errors.push(`console ${message.type()}: ${message.text()}`);
  });
  return page;
}

/**
 * Answers the requests of `target` (a Playwright page or context) to the giosg API from the local
 * server at `server`; resolves to the array each one is recorded in:
 * `{ pathname, status, body, authorization }`.
 */
export async function answerApi(target, server) {
  const traffic = [];
  await target.route(`${API}/**`, async (route) => {
    const request = route.request();
    const { pathname } = new URL(request.url());
    const response = await route.fetch({ url: `${server}${pathname}` });
    const body = await response.text();
    traffic.push({ pathname, status: response.status(), body, authorization: (await request.allHeaders()).authorization ?? null });
    await route.fulfill({ response, body });
  });
  return traffic;
}

/** The arguments of the page's first `console.log` whose first argument is a number: the quick
 * starts' `console.log(response.status, body)` of the room's answer. */
export function roomLogged(page) {
  return new Promise((resolveLogged) => {
    page.on("console", (message) => {
      if (message.type() !== "log") return;
      Promise.all(message.args().map((arg) => arg.jsonValue())).then((args) => typeof args[0] === "number" && resolveLogged(args), () => {});
    });
  });
}

/** The visitor's line (`Visitor <id>…`) once shown; the auth answer of the one auth request so far. */
export async function shownVisitor(page, traffic, what) {
  const visitorLine = page.locator("p", { hasText: /^Visitor [0-9a-f]{32}/ });
  await visitorLine.waitFor({ timeout: 30_000 });
  const auth = traffic.filter((t) => t.pathname.endsWith("/auth"));
  assert.equal(auth.length, 1, `${what}: ${JSON.stringify(traffic)}`);
  const answer = JSON.parse(auth[0].body);
  assert.match(await visitorLine.textContent(), new RegExp(`^Visitor ${answer.visitor_id}\\b`));
  return answer;
}

/** The "Open the room" button: its `visitor.fetch()` sends the token to the room (a placeholder
 * room: 404, not 401), and the page logs the answer as the server gave it. */
export async function checkRoom(page, traffic, answer, logged) {
  await page.getByRole("button", { name: "Open the room" }).click();
  const args = await logged;
  const rooms = traffic.filter((t) => t.pathname.includes("/rooms/"));
  assert.equal(rooms.length, 1, JSON.stringify(traffic));
  assert.equal(rooms[0].authorization, `Bearer ${answer.access_token}`);
  assert.deepEqual(args, [404, JSON.parse(rooms[0].body)]);
}

/** A consent banner's quick start ("Visitor <id>, kept in <kind>", "Accept", "Withdraw consent"):
 * nothing stored before consent; after it, the same visitor and its keys; withdrawn, none. */
export async function checkConsent(page, answer) {
  const stored = () => page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith("giosg:")).sort());
  await page.locator("p", { hasText: /kept in memory$/ }).waitFor();
  assert.deepEqual(await stored(), []);
  await page.getByRole("button", { name: "Accept" }).click();
  await page.locator("p", { hasText: new RegExp(`^Visitor ${answer.visitor_id}, kept in local$`) }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await stored(), [`giosg:${API}:${answer.organization_id}:session`, `giosg:${API}:secret`]);
  await page.getByRole("button", { name: "Withdraw consent" }).click();
  await page.locator("p", { hasText: new RegExp(`^Visitor ${answer.visitor_id}, kept in memory$`) }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await stored(), []);
}
