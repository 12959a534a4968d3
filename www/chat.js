// A visitor's chat, live. The visitor joins a room (presence), starts a chat and writes in it over
// HTTP with `visitor.fetch()`, and hears the chat's messages and the room's operators on the
// socket with `visitor.subscribe()`. Each list is subscribed first and fetched second, so that
// nothing that happens in between is missed; after `resync` (the socket was down, notifications
// may have been lost) the lists are fetched again.
//
// The operator's side (a room, a reply, an operator coming online, a dropped socket) is played by
// the local server's control surface, /__control/...: against giosg, people do these in its console.
//
//   setUpChat(visitor, log)   wires the chat card of index.html; `log(kind, title, text, data)`
//                             writes on the demo's timeline

const $ = (id) => document.getElementById(id);
const PRESENCE_SECONDS = 60;
const REPLIES = ["Hello! How can I help you?", "Let me check that for you.", "Done. Anything else?"];
const VIA = { socket: "on the socket", http: "fetched over HTTP", sent: "sent" };

export function setUpChat(visitor, log) {
  const org = visitor.organizationId;
  let room = null;
  let chat = null;
  let operators = null;
  let messages = null;
  let presence = null;
  let replies = 0;

  /** A request of the visitor's (with its token): the answer's JSON. */
  async function api(path, body) {
    const init = body && { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await visitor.fetch(path, init);
    if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${path}: HTTP ${response.status}`);
    return response.json();
  }

  /** A request of the operator's side (the local server's control surface, no token). */
  async function operator(path, body = {}) {
    const response = await fetch(`/__control/orgs/${org}${path}`, { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`operator ${path}: HTTP ${response.status}`);
    return response.json();
  }

  /**
   * A collection kept live by id: subscribed to `channel` (the path of its list endpoint), then
   * fetched from that path, page by page. `render(items)` after every change; `refetch()` after a
   * resync (what is heard while it runs is applied again on its result); `stop()` unsubscribes.
   */
  function liveList(channel, render) {
    let items = new Map();
    const fetches = new Set();
    function apply({ action, resourceId, resource }, via) {
      if (action === "removed") items.delete(resourceId);
      else items.set(resourceId, { via, ...items.get(resourceId), ...resource });
    }
    /** A change: from the socket, or an item known otherwise (the answer to a POST). */
    function hear(change, via = "socket") {
      for (const heard of fetches) heard.push([change, via]);
      apply(change, via);
      render([...items.values()]);
    }
    const stop = visitor.subscribe(channel, hear);
    async function refetch() {
      const heard = [];
      fetches.add(heard);
      const fetched = new Map();
      try {
        for (let url = channel; url; ) {
          const page = await api(url);
          for (const item of page.results) fetched.set(item.id, { via: "http", ...items.get(item.id), ...item });
          url = page.next;
        }
      } finally {
        fetches.delete(heard);
      }
      items = fetched;
      for (const [change, via] of heard) apply(change, via);
      render([...items.values()]);
    }
    const add = (item, via) => hear({ action: "added", resourceId: item.id, resource: item }, via);
    return { refetch, add, stop, get size() { return items.size; } };
  }

  function renderOperators(list) {
    $("operators").replaceChildren(...list.map((o) => element("li", o.public_name, { id: o.id })));
    $("operator-count").textContent = String(list.length);
  }

  function renderMessages(list) {
    list.sort((a, b) => a.created_at.localeCompare(b.created_at));
    $("messages").replaceChildren(...list.map((m) => {
      const visitorWrote = m.sender_type === "visitor";
      const entry = element("li", "", { id: m.id, sender: visitorWrote ? "visitor" : "operator", via: m.via });
      entry.append(element("b", visitorWrote ? "You" : "Operator"), element("span", m.message), element("small", VIA[m.via]));
      return entry;
    }));
    $("messages").lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  async function join() {
    const { visitorId } = await visitor.authenticate();
    room = await operator("/rooms", { display_name: "Support", online_users: 1 });
    const announce = () => api(`/api/v5/public/orgs/${org}/rooms/${room.id}/visitors`, { id: visitorId, presence_expires_in: PRESENCE_SECONDS });
    await announce();
    // Presence expires: announced again before it does.
    presence = setInterval(() => run("presence", announce), (PRESENCE_SECONDS / 2) * 1000);
    operators = liveList(`/api/v5/public/orgs/${org}/rooms/${room.id}/online_users`, renderOperators);
    await operators.refetch();
    $("room-id").textContent = `${room.display_name} (${room.id})`;
    log("chat", "joined a room", `${room.display_name}: present for ${PRESENCE_SECONDS} s, renewed every ${PRESENCE_SECONDS / 2} s`);
    enable("start-chat", "operator-online", "drop-socket");
  }

  async function startChat() {
    const { visitorId } = await visitor.authenticate();
    chat = await api(`/api/v5/public/orgs/${org}/rooms/${room.id}/visitors/${visitorId}/chats`, {});
    messages = liveList(`/api/v5/public/visitors/${visitorId}/chats/${chat.id}/messages`, renderMessages);
    await messages.refetch();
    $("chat-id").textContent = chat.id;
    log("chat", "chat started", `in ${room.display_name}`);
    enable("message", "send-message", "operator-reply");
        $("message").focus();
  }

  async function send(text) {
    const message = await api(`/api/v5/public/visitors/${chat.visitor_id}/chats/${chat.id}/messages`, { type: "msg", message: text });
    messages.add(message, "sent");
  }

  /** Back to the start: the chat was the previous visitor's (`forget()`, or a reset secret). */
  function reset() {
    operators?.stop();
    messages?.stop();
    clearInterval(presence);
    room = chat = operators = messages = null;
    renderOperators([]);
    renderMessages([]);
    $("room-id").textContent = "not joined";
    $("chat-id").textContent = "not started";
    for (const id of ["start-chat", "operator-online", "drop-socket", "operator-reply", "message", "send-message"]) $(id).disabled = true;
    enable("join");
  }

  /** Whether `action` succeeded; its failure goes on the timeline. */
  async function run(label, action) {
    try {
      await action();
      return true;
    } catch (error) {
      log("failure", `${label} failed`, error.code ? `${error.code}: ${error.message}` : error.message);
      return false;
    }
  }

  /** A button's action, the button disabled meanwhile (and for good once done, if `once`). */
  function onClick(id, label, action, { once = false } = {}) {
    $(id).addEventListener("click", async () => {
      $(id).disabled = true;
      const done = await run(label, action);
      $(id).disabled = once && done;
    });
  }

  onClick("join", "join", join, { once: true });
  onClick("start-chat", "start a chat", startChat, { once: true });
  $("send").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("message").value.trim();
    if (!text) return;
    $("message").value = "";
    run("send", () => send(text));
  });
  onClick("operator-reply", "operator reply", () => operator(`/chats/${chat.id}/messages`, { message: REPLIES[replies++ % REPLIES.length] }));
  onClick("operator-online", "operator online", async () => {
    const agent = await operator(`/rooms/${room.id}/online_users`, { public_name: `Agent ${operators.size + 1}` });
    log("control", "operator online", `${agent.public_name} came online in ${room.display_name}`);
  });
  onClick("drop-socket", "drop the socket", async () => {
    log("control", "socket dropped", "the server closes the visitor's socket, without a close frame");
    await operator("/realtime/drop");
  });

  // Every channel confirmed or lost is a `realtime` event: the card shows each, the timeline
  // only the socket's changes of state.
  let socketState = "closed";
  visitor.on("realtime", ({ state, channels }) => {
    $("socket-state").dataset.state = state;
    $("socket-state").textContent = `${state}, ${channels} channel${channels === 1 ? "" : "s"} subscribed`;
    if (state === socketState) return;
    socketState = state;
    const why = { connecting: "opening the visitor's socket", open: "up: channels are subscribed on it", closed: room ? "down: the SDK reopens it and subscribes again" : "no channel wanted" };
    log("realtime", `socket ${state}`, why[state], { state });
  });
  visitor.on("resync", ({ channels, since }) => {
    log("resync", "resync", `down since ${since.toLocaleTimeString()}: ${channels} channels subscribed again, their lists fetched again`);
    run("resync", () => Promise.all([operators?.refetch(), messages?.refetch()]));
  });
  visitor.on("identitychange", () => room && reset());
  reset();
}

/** Enables the controls of these ids. */
function enable(...ids) {
  for (const id of ids) $(id).disabled = false;
}

/** A new element with `text` and `data` attributes. */
function element(tag, text, data = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  Object.assign(node.dataset, data);
  return node;
}
