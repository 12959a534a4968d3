// The demo's chat card (www/chat.js), driven as a user would, in every engine (tests/e2e/engines.mjs):
// join a room, start a chat, send a message, the operator's reply arriving on the socket, an
// operator coming online in the room's online_users channel, and the socket dropped by the server:
// the SDK reopens it, subscribes again and emits `resync`, which the timeline shows beside the
// token's sessions; and a message the socket missed while it was down, fetched again on resync.
// Saves test-results/chat-<engine>.png.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { SERVER_URL, newOrg, control } from "./browser.mjs";
import { closeEngines, engines } from "./engines.mjs";

after(closeEngines);

/** Resolves when `selector` matches an element whose text contains `text` (any element: ""). */
function shown(page, selector, text = "") {
  return page.waitFor(`${selector} with "${text}"`, ([s, t]) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(t)), [selector, text]);
}

/** Clicks `selector` once it is enabled (a disabled button takes a WebDriver click silently). */
async function press(page, selector) {
  await page.waitFor(`${selector} to be enabled`, (s) => document.querySelector(s)?.disabled === false, selector);
  await page.click(selector);
}

/** The timeline's entries, newest first: `{ kind, state, title }`. */
function timeline(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("#log li")].map((li) => ({ kind: li.dataset.kind, state: li.dataset.state ?? null, title: li.querySelector("b").textContent })),
  );
}

/** The demo open on a fresh organization, authenticated: `{ page, org, visitorId }`. */
async function openDemo(context) {
  const org = newOrg();
  const page = await context.openPage(`${SERVER_URL}/?org=${org}`);
  await page.waitFor("#status to be ok", () => document.querySelector('#status[data-state="ok"]') !== null);
  return { page, org, visitorId: await page.text("#visitor-id") };
}

for (const engine of engines) {
  test(`the demo's chat: join, chat, the operator's reply and an operator online on the socket, a dropped socket resynced, in ${engine.name}`, async () => {
    const context = await engine.newContext();
    try {
      const { page, org, visitorId } = await openDemo(context);

      // Joined: the room's one operator, fetched over HTTP; the socket open with that channel.
      await press(page, "#join");
      await shown(page, "#operators li", "Agent 1");
      await shown(page, "#socket-state", "open, 1 channel");
      const roomId = /\(([0-9a-f-]{36})\)$/.exec(await page.text("#room-id"))[1];
      const requests = () => control(`/orgs/${org}/stats`).then((s) => s.log.map((e) => `${e.method} ${e.path} ${e.status}`));
      assert.ok((await requests()).includes(`POST /api/v5/public/orgs/${org}/rooms/${roomId}/visitors 201`));

      // A chat, and a message of the visitor's.
      await press(page, "#start-chat");
      await shown(page, "#socket-state", "open, 2 channels");
      const chatId = await page.text("#chat-id");
      assert.match(chatId, /^[0-9a-f-]{36}$/);
      await page.waitFor("#message to be enabled", () => !document.querySelector("#message").disabled);
      await page.evaluate(() => { document.querySelector("#message").value = "Where is my order?"; });
      await press(page, "#send-message");
      await shown(page, '#messages li[data-sender="visitor"]', "Where is my order?");
      assert.ok((await requests()).includes(`POST /api/v5/public/visitors/${visitorId}/chats/${chatId}/messages 201`));

      // The operator's reply: only the socket brings it (the chat's list was fetched empty).
      await press(page, "#operator-reply");
      await shown(page, '#messages li[data-sender="operator"][data-via="socket"]', "Hello! How can I help you?");
      // An operator comes online: the room's online_users channel.
      await press(page, "#operator-online");
      await shown(page, "#operators li", "Agent 2");
      assert.equal(await page.text("#operator-count"), "2");

      // The socket dropped: closed, reopened, both channels subscribed again, then resync; on
      // the timeline newer than the drop, beside the session.
      assert.equal((await timeline(page)).filter((e) => e.kind === "resync").length, 0);
      await press(page, "#drop-socket");
      await shown(page, '#log li[data-kind="resync"]');
      await shown(page, "#socket-state", "open, 2 channels");
      const entries = await timeline(page);
      const newer = entries.slice(0, entries.findIndex((e) => e.title === "socket dropped"));
      assert.deepEqual(
        newer.filter((e) => e.kind === "realtime" || e.kind === "resync").map((e) => e.state ?? e.kind).reverse(),
        ["closed", "connecting", "open", "resync"],
      );
      assert.ok(entries.some((e) => e.kind === "session"), "the token's session is on the same timeline");
      const sockets = (await control(`/orgs/${org}/stats`)).sockets;
      assert.equal(sockets.dropped, 1);
      assert.equal(sockets.opened, 2);
      assert.equal(sockets.open, 1);

      // The reopened socket carries the chat: the next reply arrives on it.
      await press(page, "#operator-reply");
      await shown(page, '#messages li[data-sender="operator"][data-via="socket"]', "Let me check that for you.");
      assert.equal(await page.evaluate(() => document.querySelectorAll("#messages li").length), 3);
      assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);

      await page.screenshot(`test-results/chat-${engine.name.toLowerCase()}.png`);
      await page.sync();
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  });

  test(`the demo's chat fetches again, on resync, a message its socket missed, in ${engine.name}`, async () => {
    const context = await engine.newContext();
    try {
      const { page, org } = await openDemo(context);
      await press(page, "#join");
      await press(page, "#start-chat");
      await shown(page, "#socket-state", "open, 2 channels");
      // The server stops answering and drops the socket: the SDK's new socket gets no answer to
      // its subscriptions, so the operator's message now reaches no socket.
      await control(`/orgs/${org}/realtime`, { method: "PUT", body: JSON.stringify({ silent: true }) });
      await press(page, "#drop-socket");
      const stats = () => control(`/orgs/${org}/stats`).then((s) => s.sockets);
      await page.until("both subscriptions held unanswered on the new socket", async () => (await stats()).unanswered >= 2);
      const chatId = await page.text("#chat-id");
      await control(`/orgs/${org}/chats/${chatId}/messages`, { method: "POST", body: JSON.stringify({ message: "Sent while you were away" }) });
      await control(`/orgs/${org}/realtime`, { method: "PUT", body: JSON.stringify({ silent: false }) });
      // The SDK replaces the socket that does not answer (after requestTimeoutMs, 10 s), the
      // channels are subscribed again, resync: the page fetches the chat's messages again.
      await shown(page, '#log li[data-kind="resync"]');
      await shown(page, '#messages li[data-sender="operator"][data-via="http"]', "Sent while you were away");
      await page.sync();
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  });
}
