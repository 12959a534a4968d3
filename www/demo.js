// The demo page: a visitor of the SDK (the package built into /pkg/) against the local server
// that serves this page, with its lifecycle shown as it happens.
//   ?org=<uuid>       the organization (default: giosg's documentation example)
//   ?lifetime=<s>     sets the organization's token lifetime on the local server first
// The chat card (a room, a chat, an operator, all live on the socket) is chat.js.
import { ready, Visitor } from "/pkg/index.js";
import { setUpChat } from "./chat.js";

const DEMO_ORG = "e6a08f51-c250-4074-847b-58d444dbbeb1";
const params = new URLSearchParams(location.search);
const organizationId = params.get("org") ?? DEMO_ORG;
const control = `/__control/orgs/${organizationId}`;
const $ = (id) => document.getElementById(id);

/** A line on the timeline; `data` goes into its data- attributes (`{ source }` of a session). */
function log(kind, title, text, data = {}) {
  const item = document.createElement("li");
  item.dataset.kind = kind;
  Object.assign(item.dataset, data);
  const time = document.createElement("time");
  time.textContent = new Date().toLocaleTimeString();
  const what = document.createElement("b");
  what.textContent = title;
  const detail = document.createElement("span");
  detail.textContent = text;
  item.append(time, what, detail);
  $("log").prepend(item);
}

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text;
}

let visitor;
let issuedAt = null;

function tick() {
  const expiresAt = visitor?.expiresAt;
  if (!expiresAt || !issuedAt) {
    $("countdown").textContent = "–";
    $("bar-fill").style.width = "0";
    return;
  }
  const left = Math.max(0, expiresAt.getTime() - Date.now());
  const share = left / Math.max(1, expiresAt.getTime() - issuedAt);
  $("countdown").textContent = `${Math.ceil(left / 1000)} s left`;
  $("bar-fill").style.width = `${Math.min(100, share * 100)}%`;
  $("bar").classList.toggle("low", share < 0.25);
}

function show(session, source) {
  $("visitor-id").textContent = session?.visitorId ?? "not authenticated";
  $("source").textContent = source ?? "–";
  $("expires-at").textContent = session ? `expires ${session.expiresAt.toLocaleTimeString()}` : "expires –";
  issuedAt = session ? session.expiresAt.getTime() - session.expiresIn * 1000 : null;
  tick();
}

async function run(label, action) {
  try {
    await action();
  } catch (error) {
    setStatus("error", `${error.code}: ${error.message}`);
    log("failure", `${label} failed`, `${error.code}: ${error.message}`);
  }
}

async function refreshServer() {
  try {
    const [stats, faults] = await Promise.all([
      fetch(`${control}/stats`).then((r) => r.json()),
      fetch(`${control}/faults`).then((r) => r.json()),
    ]);
    $("auth-requests").textContent = String(stats.auth_requests);
    $("pending-faults").textContent = faults.length ? faults.map((f) => JSON.stringify(f)).join(", ") : "none";
  } catch {
    $("auth-requests").textContent = "server unreachable";
  }
}

async function setLifetime(seconds) {
  await fetch(`${control}/config`, { method: "PUT", body: JSON.stringify({ expires_in: Number(seconds) }) });
}

const lifetime = params.get("lifetime");
if (lifetime) {
  await setLifetime(lifetime);
  let option = [...$("lifetime").options].find((o) => o.value === lifetime);
  if (!option) {
    option = new Option(`${lifetime} s`, lifetime);
    $("lifetime").prepend(option);
  }
  option.selected = true;
}

/** Where the visitor is kept, and which of its keys localStorage holds now. */
function showStorage() {
  $("storage-kind").textContent = visitor.storageKind;
  const prefix = `giosg:${location.origin}:`;
  const keys = Object.keys(localStorage).filter((k) => k.startsWith(prefix) && (k.endsWith(":secret") || k.includes(organizationId)));
  $("stored-keys").textContent = keys.length ? keys.map((k) => k.slice(prefix.length)).join(", ") : "none";
}

await ready;
// `?consent=0` starts without consent: the visitor is kept in memory until the switch is turned on.
const consented = params.get("consent") !== "0";
$("consent").checked = consented;
visitor = new Visitor({ organizationId, apiBaseUrl: location.origin, storage: consented ? "local" : "memory" });
$("organization-id").textContent = visitor.organizationId;
$("another-tab").href = `/tab.html?org=${organizationId}`;

visitor.on("session", ({ session, source }) => {
  show(session, source);
  setStatus("ok", "authenticated");
  const how = { network: "from the server", cache: "from storage, no request", tab: "renewed by another tab" }[source];
  log("session", `session (${source})`, `visitor ${session.visitorId}, ${how}, valid ${session.expiresIn} s`, { source });
});
visitor.on("identitychange", ({ previousVisitorId, visitorId }) => {
  if (!visitorId) show(null);
  log("identitychange", "identity change", `${previousVisitorId ?? "none"} → ${visitorId ?? "none"}`);
});
visitor.on("error", (error) => {
  setStatus("error", `${error.code}: ${error.message} (the current token stays in use, retrying)`);
  log("error", `error (${error.code})`, error.message);
});
visitor.on("storage", ({ reason, message, kind }) => {
  log("storage", `storage: ${kind} (${reason})`, reason === "changed" ? `the visitor is kept in ${kind} now` : message);
  showStorage();
});
$("consent").addEventListener("change", (event) =>
  run("consent", async () => {
    await visitor.setStorage(event.target.checked ? "local" : "memory");
    showStorage();
  }),
);

$("authenticate").addEventListener("click", () => run("renew", () => visitor.authenticate({ force: true })));
$("forget").addEventListener("click", () => run("forget", async () => {
  await visitor.forget();
  setStatus("idle", "forgotten: renew to become a new visitor");
}));
$("lifetime").addEventListener("change", async (event) => {
  await setLifetime(event.target.value);
  log("control", "lifetime", `tokens now last ${event.target.value} s (from the next renewal)`);
});
for (const button of document.querySelectorAll("#server button.fault")) {
  button.addEventListener("click", async () => {
    await fetch(`${control}/faults`, { method: "POST", body: button.dataset.fault });
    log("control", "fault injected", button.textContent);
    refreshServer();
  });
}
$("clear-faults").addEventListener("click", async () => {
  await fetch(`${control}/faults`, { method: "DELETE" });
  log("control", "faults cleared", "the server answers normally again");
  refreshServer();
});
for (const control of document.querySelectorAll("#identity button, #server button, #consent")) control.disabled = false;
setUpChat(visitor, log);
setInterval(tick, 250);
setInterval(showStorage, 500);
showStorage();
setInterval(refreshServer, 1000);
setStatus("busy", "authenticating…");
await run("authenticate", () => visitor.authenticate());
refreshServer();
