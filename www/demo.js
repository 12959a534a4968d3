// The demo page: authenticates a visitor with the SDK built into /pkg/ against this server.
import init, { Visitor } from "/pkg/giosg_visitor.js";

const DEMO_ORG = "e6a08f51-c250-4074-847b-58d444dbbeb1";
const params = new URLSearchParams(location.search);
const organizationId = params.get("org") ?? DEMO_ORG;
const $ = (id) => document.getElementById(id);

function log(text) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  $("log").prepend(item);
}

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text;
}

let visitor;
let expiresAt = null;

function tick() {
  if (!expiresAt) return;
  const left = Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000));
  $("countdown").textContent = `(${left} s left)`;
}

async function authenticate() {
  $("authenticate").disabled = true;
  setStatus("busy", "authenticating…");
  try {
    const session = await visitor.authenticate();
    expiresAt = session.expiresAt;
    $("visitor-id").textContent = session.visitorId;
    $("expires-at").textContent = session.expiresAt.toLocaleTimeString();
    tick();
    setStatus("ok", "authenticated");
    log(`authenticated visitor ${session.visitorId}, token valid for ${session.expiresIn} s`);
  } catch (error) {
    setStatus("error", `${error.code}: ${error.message}`);
    log(`error ${error.code}: ${error.message}`);
  } finally {
    $("authenticate").disabled = false;
  }
}

await init();
visitor = new Visitor({ organizationId, apiBaseUrl: location.origin });
$("organization-id").textContent = visitor.organizationId;
$("authenticate").addEventListener("click", authenticate);
setInterval(tick, 1000);
await authenticate();
