// One tab of many: shows how tabs share a visitor and its renewals. The state is also kept on
// `window.tab` for the end-to-end tests (tests/e2e/tabs.test.mjs).
import { ready, Visitor } from "/pkg/index.js";

const params = new URLSearchParams(location.search);
const organizationId = params.get("org") ?? "e6a08f51-c250-4074-847b-58d444dbbeb1";
const $ = (id) => document.getElementById(id);
$("another").href = location.href;

const tab = { events: [], errors: [], sessions: 0, ready: false };
window.tab = tab;

function note(kind, text) {
  tab.events.push({ kind, text, at: Date.now() });
  const item = document.createElement("li");
  item.dataset.kind = kind;
  item.textContent = `${new Date().toLocaleTimeString()}  ${kind}  ${text}`;
  $("log").prepend(item);
}

function show() {
  $("visitor-id").textContent = tab.visitor.visitorId ?? "none";
  $("expires-at").textContent = tab.visitor.expiresAt?.toLocaleTimeString() ?? "–";
  $("renewals").textContent = String(tab.sessions);
}

await ready;
tab.visitor = new Visitor({ organizationId, apiBaseUrl: location.origin, requestTimeoutMs: 5000 });
tab.visitor.on("session", ({ session, source }) => {
  tab.sessions += 1;
  note("session", `${source} ${session.visitorId}`);
  show();
});
tab.visitor.on("identitychange", ({ previousVisitorId, visitorId }) => {
  note("identitychange", `${previousVisitorId} → ${visitorId}`);
  show();
});
tab.visitor.on("error", (error) => {
  tab.errors.push(`${error.code}: ${error.message}`);
  note("error", `${error.code}: ${error.message}`);
});
try {
  await tab.visitor.authenticate();
} catch (error) {
  tab.errors.push(`${error.code}: ${error.message}`);
}
tab.ready = true;
show();
