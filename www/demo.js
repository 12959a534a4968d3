// The demo page: a visitor of the SDK built into /pkg/, against the local server serving this
// page, with its events shown as they happen.
//   ?org=<uuid>       the organization (default: giosg's documentation example)
//   ?lifetime=<s>     sets the organization's token lifetime on the local server first
import init, { Visitor } from "/pkg/giosg_visitor.js";

const DEMO_ORG = "e6a08f51-c250-4074-847b-58d444dbbeb1";
const params = new URLSearchParams(location.search);
const organizationId = params.get("org") ?? DEMO_ORG;
const $ = (id) => document.getElementById(id);

function log(kind, text) {
  const item = document.createElement("li");
  item.dataset.kind = kind;
  item.textContent = `${new Date().toLocaleTimeString()}  ${kind}  ${text}`;
  $("log").prepend(item);
}

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text;
}

function show(session) {
  $("visitor-id").textContent = session?.visitorId ?? "not authenticated";
  $("expires-at").textContent = session ? session.expiresAt.toLocaleTimeString() : "–";
  tick();
}

function tick() {
  const expiresAt = visitor?.expiresAt;
  $("countdown").textContent = expiresAt
    ? `(${Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000))} s left)`
    : "";
}

async function run(label, action) {
  try {
    await action();
  } catch (error) {
    setStatus("error", `${error.code}: ${error.message}`);
    log("failure", `${label}: ${error.code}: ${error.message}`);
  }
}

const lifetime = params.get("lifetime");
if (lifetime) {
  await fetch(`/__control/orgs/${organizationId}/config`, {
    method: "PUT",
    body: JSON.stringify({ expires_in: Number(lifetime) }),
  });
}

await init();
const visitor = new Visitor({ organizationId, apiBaseUrl: location.origin });
$("organization-id").textContent = visitor.organizationId;

visitor.on("session", ({ session, source }) => {
  show(session);
  setStatus("ok", "authenticated");
  log("session", `${source}: visitor ${session.visitorId}, token valid for ${session.expiresIn} s`);
});
visitor.on("identitychange", ({ previousVisitorId, visitorId }) => {
  if (!visitorId) show(null);
  log("identitychange", `${previousVisitorId ?? "none"} → ${visitorId ?? "none"}`);
});
visitor.on("error", (error) => {
  setStatus("error", `${error.code}: ${error.message} (the current token stays in use)`);
  log("error", `${error.code}: ${error.message}`);
});
visitor.on("storage", ({ reason }) => log("storage", reason));

$("authenticate").addEventListener("click", () => run("authenticate", () => visitor.authenticate({ force: true })));
$("forget").addEventListener("click", () => run("forget", async () => {
  await visitor.forget();
  setStatus("idle", "forgotten: authenticate to become a new visitor");
}));
for (const button of document.querySelectorAll("button")) button.disabled = false;
setInterval(tick, 1000);
setStatus("busy", "authenticating…");
await run("authenticate", () => visitor.authenticate());
