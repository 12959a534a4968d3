// The browser engines the end-to-end tests run in (SPEC §7: Chromium, Firefox, WebKit), behind one
// interface, so that a test is written once and adding an engine is one entry of ENGINES below (and its
// driving, if it is driven another way).
//
//   const context = await engine.newContext({ api });   a fresh profile: storage, cache, cookies
//   const page = await context.openPage(url);           a new top-level window of that profile
//   page.logs / page.errors / page.violations           what the page logged, threw, and broke of its CSP
//   await page.evaluate(fn, arg)                        fn(arg) in the page (awaited); JSON values
//   await page.until(what, condition, ms)               a condition (of node's state) becomes true
//   await page.waitFor(what, fn, arg, ms)               fn(arg) in the page becomes true
//   await page.click(selector); page.reload(); page.close()
//   await page.screenshot(path)                         a PNG of the page (Chromium: all of it; WebDriver: the window)
//   context.traffic / context.requests                  what the proxy saw (tests/e2e/proxy.mjs)
//   await context.close()
//
// How each engine is driven:
// - Chromium: Debian's, through Playwright (tests/e2e/browser.mjs), which serves it well: console
//   messages and page errors are Playwright events.
// - Firefox: Debian's Firefox ESR through geckodriver (cargo-installed by scripts/setup.sh), over
//   WebDriver with selenium-webdriver; console lines, page errors and CSP violations through
//   WebDriver BiDi `log.entryAdded`, which Firefox reports all three as.
// - WebKit: Debian's WebKitGTK through `WebKitWebDriver` (its MiniBrowser), which needs a display:
//   the engine starts it under `xvfb-run -a` unless DISPLAY is set. WebKitGTK 2.50's driver has no
//   WebDriver BiDi (a session asking for `webSocketUrl` is refused: "Failed to match
//   capabilities"), and classic WebDriver cannot see a console. So the proxy puts a test-only
//   recorder (RECORDER below) first in each HTML page it forwards to WebKit, served from the
//   page's own origin (first in <head>, it runs before a <meta> policy applies; a header's
//   `script-src 'self'` would allow it too): it wraps `console`, listens for `error`,
//   `unhandledrejection` and `securitypolicyviolation`, and keeps what it saw on the page, from
//   where each command to the page takes it (a page without it fails the command). Its own
//   request is not among the recorded ones. reload() and close() take what the page logged up to
//   them; what a WebKit page logs while it unloads is not seen.
//
// WebDriver without downloads: each driver is a binary started here at an explicit path (see
// BINARIES), and selenium-webdriver is only ever given that server's URL
// (`WebDriver.createSession` with an HTTP executor), the path on which it runs no Selenium Manager;
// SE_MANAGER_PATH points at nothing, so that a change that would run it fails instead of
// downloading.
//
// The network: every context has a proxy of its own (tests/e2e/proxy.mjs), the same in all three
// engines, so that what a test sees of the traffic does not depend on the engine. The pages' own
// loopback origins go through it too (Playwright proxies loopback by default; Firefox needs
// `network.proxy.allow_hijacking_localhost`), which records them with their `Sec-Fetch-Dest`, and
// https://service.giosg.com is answered by the test's local server. WebKit cannot take the
// `proxy` capability as the others do: WebKitWebDriver makes `sslProxy` an `https://` proxy URL,
// and WebKit then speaks TLS to the proxy itself (measured: a ClientHello where CONNECT was
// expected). So MiniBrowser is started through `/usr/bin/env` with `http_proxy`/`https_proxy`
// (GIO's libproxy reads them): plain CONNECT, like the others. MiniBrowser's own connection to
// its driver's inspector port then goes through the proxy too, which tunnels loopback CONNECTs.
//
// A WebDriver engine has one context (one WebDriver session) at a time.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import net from "node:net";
import { homedir } from "node:os";
import selenium from "selenium-webdriver";
import http from "selenium-webdriver/http/index.js";
import { launch } from "./browser.mjs";
import { startProxy } from "./proxy.mjs";

const { Capabilities, WebDriver, By } = selenium;

// See the header: selenium-webdriver must never look for a driver itself.
process.env.SE_MANAGER_PATH = "/nonexistent/selenium-manager-is-not-used-by-tests-e2e";
process.env.SE_OFFLINE = "true";

function which(name) {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/** The binaries, each overridable by its environment variable. */
const BINARIES = {
  firefox: () => process.env.FIREFOX ?? "/usr/bin/firefox-esr",
  geckodriver: () => process.env.GECKODRIVER ?? which("geckodriver") ?? `${homedir()}/.cargo/bin/geckodriver`,
  webkitDriver: () => process.env.WEBKIT_WEBDRIVER ?? which("WebKitWebDriver") ?? "/usr/bin/WebKitWebDriver",
  miniBrowser: () =>
    process.env.MINIBROWSER ??
    ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/libexec"]
      .map((dir) => `${dir}/webkit2gtk-4.1/MiniBrowser`)
      .find((path) => existsSync(path)) ??
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
};

/** How long one WebDriver command may take (a busy 2-core machine: generous). */
const COMMAND_TIMEOUT_MS = 120_000;
/** How often a condition is looked at again when no event says it may have changed. */
const POLL_MS = 100;

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

// ---------------------------------------------------------------------------------------------
// The recorder WebKit's pages get (see the header). It must run before the page's own scripts:
// the proxy puts it first in <head>.

const RECORDER_PATH = "/__giosg_e2e_recorder.js";
function recorder() {
  if (window.__giosgE2e) return;
  const record = { entries: [] };
  Object.defineProperty(window, "__giosgE2e", { value: record });
  record.take = () => record.entries.splice(0);
  const copy = (value) => {
    if (value === undefined) return null;
    try {
      return JSON.parse(JSON.stringify(value));
    } catch {
      return String(value);
    }
  };
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const original = console[level];
    console[level] = function (...args) {
      record.entries.push({ kind: "console", level, args: args.map(copy), text: args.map(String).join(" ") });
      return original.apply(this, args);
    };
  }
  window.addEventListener("error", (event) => {
    record.entries.push({ kind: "error", text: `${event.message} (${event.filename}:${event.lineno})` });
  });
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    record.entries.push({ kind: "error", text: `unhandled rejection: ${String(reason)}${reason && reason.stack ? ` (${reason.stack})` : ""}` });
  });
  document.addEventListener("securitypolicyviolation", (event) => {
    // MiniBrowser's own request for the tab's icon counts against the page's policy (under
    // `default-src 'none'`): the browser's, not the page's.
    if (event.blockedURI && new URL(event.blockedURI, location.href).pathname === "/favicon.ico") return;
    record.entries.push({ kind: "violation", text: `${event.violatedDirective} blocked ${event.blockedURI || "inline code"} (${event.sourceFile || "the page"})` });
  });
}
const RECORDER = { path: RECORDER_PATH, script: `(${recorder})();\n` };

// ---------------------------------------------------------------------------------------------
// What every page has, whichever engine drives it.

class Page {
  constructor() {
    /** `{ level, args, text }`: the page's console calls (level "log", "info", "warn", "error", "debug"). */
    this.logs = [];
    /** Uncaught exceptions, unhandled rejections, console.error lines and CSP violations, as text. */
    this.errors = [];
    /** Content Security Policy violations, as text (also among `errors`). */
    this.violations = [];
    this.waiters = new Set();
  }

  /** A new console entry, page error or violation: wakes whatever waits. */
  note(entry) {
    if (entry.kind === "console") {
      this.logs.push({ level: entry.level, args: entry.args, text: entry.text });
      if (entry.level === "error") this.errors.push(`console error: ${entry.text}`);
    } else if (entry.kind === "violation") {
      this.violations.push(entry.text);
      this.errors.push(`CSP violation: ${entry.text}`);
    } else {
      this.errors.push(`page error: ${entry.text}`);
    }
    for (const wake of this.waiters) wake();
  }

  /** Brings in what the engine has not yet delivered (WebKit's recorder). */
  async sync() {}

  /**
   * Resolves to `condition()`'s first truthy value (it may be async); looked at on every page
   * event and every POLL_MS; rejects after `timeoutMs`, naming `what`.
   */
  async until(what, condition, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.sync();
      const value = await condition();
      if (value) return value;
      if (Date.now() > deadline) {
        throw new Error(`${this.engine}: no ${what} in ${timeoutMs} ms; logs: ${JSON.stringify(this.logs.map((l) => l.text))}; errors: ${JSON.stringify(this.errors)}`);
      }
      await new Promise((wake) => {
        const done = () => {
          this.waiters.delete(done);
          clearTimeout(timer);
          wake();
        };
        const timer = setTimeout(done, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        this.waiters.add(done);
      });
    }
  }

  /** Resolves when `fn(arg)` in the page is truthy, to its value. */
  waitFor(what, fn, arg, timeoutMs = 60_000) {
    return this.until(what, () => this.evaluate(fn, arg), timeoutMs);
  }

  /** The text of the first element matching `selector`. */
  text(selector) {
    return this.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium: Playwright.

class ChromiumPage extends Page {
  constructor(page) {
    super();
    this.engine = "Chromium";
    this.page = page;
    this.pending = Promise.resolve();
    page.on("pageerror", (error) => this.note({ kind: "error", text: error.message }));
    page.on("console", (message) => {
      const text = message.text();
      const level = message.type() === "warning" ? "warn" : message.type();
      if (level === "error" && /Content Security Policy/i.test(text)) {
        this.note({ kind: "violation", text });
        return;
      }
      // The browser's own line for an answer of 4xx/5xx (a room that is not there) is no line of the page's.
      if (level === "error" && text.startsWith("Failed to load resource")) return;
      // The arguments are read in order, so that the lines keep theirs.
      this.pending = this.pending.then(async () => {
        let args;
        try {
          args = await Promise.all(message.args().map((arg) => arg.jsonValue()));
        } catch {
          args = [text];
        }
        this.note({ kind: "console", level, args, text });
      });
    });
  }

  sync() {
    return this.pending;
  }

  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  click(selector) {
    return this.page.click(selector);
  }

  async screenshot(path) {
    mkdirSync(dirname(path), { recursive: true });
    await this.page.screenshot({ path, fullPage: true });
  }

  async reload() {
    await this.page.reload();
  }

  async close() {
    await this.sync();
    await this.page.close();
  }
}

const chromium = {
  name: "Chromium",
  quirks: {},
  recorded: false,
  browser: null,
  async newContext({ api } = {}) {
    this.browser ??= await launch();
    const proxy = await startProxy({ api });
    // Playwright sends loopback through the proxy too (it adds `<-loopback>` to the bypass list).
    const context = await this.browser.newContext({ proxy: { server: proxy.url }, ignoreHTTPSErrors: true });
    return new Context(this.name, proxy, {
      async openPage(url) {
        const page = new ChromiumPage(await context.newPage());
        await page.page.goto(url);
        return page;
      },
      close: () => context.close(),
    });
  },
  async close() {
    await this.browser?.close();
    this.browser = null;
  },
};

// ---------------------------------------------------------------------------------------------
// Firefox and WebKit: WebDriver (selenium-webdriver), a driver binary of our own.

// The drivers (and their browsers, and Xvfb) go when the tests' process does, however it ends.
const children = new Set();
function killChildren() {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  children.clear();
}
process.on("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killChildren();
    process.kill(process.pid, signal);
  });
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `command args` in a process group of its own (so that xvfb-run, Xvfb and the browser go
 * with it) and resolves when the WebDriver server answers /status at `port`.
 */
async function startDriver(name, command, args, port) {
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout.on("data", (chunk) => { output = (output + chunk).slice(-4000); });
  child.stderr.on("data", (chunk) => { output = (output + chunk).slice(-4000); });
  let exited = false;
  child.on("exit", () => { exited = true; children.delete(child); });
  // Not installed (scripts/setup.sh installs each): say which.
  child.on("error", (error) => { exited = true; output += `\n${command}: ${error.message}`; children.delete(child); });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return { child, url: `http://127.0.0.1:${port}`, output: () => output };
    } catch {
      // not listening yet
    }
    if (exited) throw new Error(`${name} exited before it listened on ${port}: ${output}`);
    if (Date.now() > deadline) {
      stopDriver(child);
      throw new Error(`${name} did not answer on ${port} in 60 s: ${output}`);
    }
    await sleep(100);
  }
}

function stopDriver(child) {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // gone already
  }
  children.delete(child);
}

/** Deserializes a WebDriver BiDi RemoteValue into the JSON value Playwright's `jsonValue` gives. */
function fromRemote(value) {
  switch (value?.type) {
    case "undefined":
      return undefined;
    case "null":
      return null;
    case "string":
    case "boolean":
      return value.value;
    case "number":
      return typeof value.value === "number" ? value.value : Number(value.value);
    case "bigint":
      return BigInt(value.value);
    case "array":
    case "set":
      return value.value ? value.value.map(fromRemote) : [];
    case "object":
    case "map":
      return value.value ? Object.fromEntries(value.value.map(([key, item]) => [typeof key === "string" ? key : fromRemote(key), fromRemote(item)])) : {};
    case "date":
      return value.value;
    default:
      return `[${value?.type}]`;
  }
}

class WebDriverPage extends Page {
  constructor(context, handle) {
    super();
    this.engine = context.engine;
    this.context = context;
    this.handle = handle;
  }

  /** Runs `fn(driver)` with this page's window current, one command at a time per session. */
  on(fn) {
    return this.context.exclusive(async (driver) => {
      if (this.context.current !== this.handle) {
        await driver.switchTo().window(this.handle);
        this.context.current = this.handle;
      }
      return fn(driver);
    });
  }

  /** Notes the recorder's entries; a page the recorder is not on (for an engine that needs it) fails. */
  took(entries) {
    if (entries === null && this.context.recorded) {
      throw new Error(`${this.engine}: the page has no console recorder (tests/e2e/engines.mjs), so nothing it logs or throws would be seen`);
    }
    for (const entry of entries ?? []) this.note(entry);
  }

  async evaluate(fn, arg) {
    // The recorder's entries (WebKit) come back with every call.
    const script = `const done = arguments[arguments.length - 1];
      const take = () => (window.__giosgE2e ? window.__giosgE2e.take() : null);
      Promise.resolve().then(() => (${fn})(arguments[0])).then(
        (value) => done({ ok: true, value: value === undefined ? null : value, entries: take() }),
        (error) => done({ ok: false, error: String(error && error.stack ? error.stack : error), entries: take() }));`;
    const result = await this.on((driver) => driver.executeAsyncScript(script, arg ?? null));
    this.took(result.entries);
    if (!result.ok) throw new Error(`${this.engine}: the page threw: ${result.error}`);
    return result.value;
  }

  async sync() {
    if (!this.context.recorded || this.closed) return;
    this.took(await this.on((driver) => driver.executeScript("return window.__giosgE2e ? window.__giosgE2e.take() : null")));
  }

  click(selector) {
    return this.on(async (driver) => driver.findElement(By.css(selector)).click());
  }

  async screenshot(path) {
    const png = await this.on((driver) => driver.takeScreenshot());
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(png, "base64"));
  }

  async reload() {
    await this.sync();
    await this.on((driver) => driver.navigate().refresh());
  }

  async close() {
    await this.sync();
    this.closed = true;
    await this.on(async (driver) => {
      await driver.close();
      this.context.pages.delete(this.handle);
      const [next] = this.context.pages.keys();
      if (next) await driver.switchTo().window(next);
      this.context.current = next ?? null;
    });
  }
}

class WebDriverContext {
  constructor(engine, driver, { recorded, initialHandle }) {
    this.engine = engine;
    this.driver = driver;
    this.recorded = recorded;
    this.pages = new Map();
    this.current = initialHandle;
    this.initialHandle = initialHandle;
    this.queue = Promise.resolve();
  }

  exclusive(fn) {
    const run = this.queue.then(() => fn(this.driver));
    this.queue = run.catch(() => {});
    return run;
  }

  async openPage(url) {
    const handle = await this.exclusive(async (driver) => {
      if (this.initialHandle) {
        const first = this.initialHandle;
        this.initialHandle = null;
        return first;
      }
      // A window, not a tab: a background tab is hidden, and its timers are throttled.
      await driver.switchTo().newWindow("window");
      this.current = await driver.getWindowHandle();
      return this.current;
    });
    const page = new WebDriverPage(this, handle);
    this.pages.set(handle, page);
    await page.on((driver) => driver.get(url));
    return page;
  }
}

/** A WebDriver engine: `driverCommand(port)` starts its server, `capabilities(proxy)` asks for a session. */
function webDriverEngine({ name, driverCommand, capabilities, bidi, recorded, quirks = {} }) {
  return {
    name,
    quirks,
    recorded,
    server: null,
    open: false,
    async start() {
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const [command, args] = driverCommand(port);
        try {
          return await startDriver(name, command, args, port);
        } catch (error) {
          // Another program took the port (or xvfb-run its display) between the look and the start.
          if (attempt === 3) throw error;
        }
      }
    },
    async newContext({ api } = {}) {
      if (this.open) throw new Error(`${name}: one context at a time (a WebDriver session each)`);
      this.open = true;
      let proxy;
      let driver;
      try {
        this.server ??= await this.start();
        proxy = await startProxy({ api, inject: recorded ? RECORDER : undefined });
        const caps = new Capabilities({
          acceptInsecureCerts: true,
          timeouts: { script: COMMAND_TIMEOUT_MS, pageLoad: COMMAND_TIMEOUT_MS, implicit: 0 },
          ...capabilities(proxy),
          ...(bidi ? { webSocketUrl: true } : {}),
        });
        driver = await WebDriver.createSession(new http.Executor(new http.HttpClient(this.server.url)), caps);
        const context = new WebDriverContext(name, driver, { recorded, initialHandle: await driver.getWindowHandle() });
        if (bidi) {
          const connection = await driver.getBidi();
          connection.socket.on("message", (data) => {
            const message = JSON.parse(data);
            if (message.method !== "log.entryAdded") return;
            const entry = message.params;
            // Firefox's window handles are its BiDi browsing context ids.
            const page = context.pages.get(entry.source?.context);
            if (!page) return;
            if (entry.type === "console") {
              page.note({ kind: "console", level: entry.method === "warning" ? "warn" : entry.method, args: (entry.args ?? []).map(fromRemote), text: entry.text });
            } else if (entry.text?.startsWith("Content-Security-Policy:")) {
              page.note({ kind: "violation", text: entry.text });
            } else {
              page.note({ kind: "error", text: entry.text });
            }
          });
          await connection.subscribe("log.entryAdded");
        }
        const engine = this;
        return new Context(name, proxy, {
          openPage: (url) => context.openPage(url),
          async close() {
            try {
              await driver.quit();
            } finally {
              engine.open = false;
            }
          },
        });
      } catch (error) {
        await driver?.quit().catch(() => {});
        await proxy?.close();
        this.open = false;
        throw new Error(`${name}: no session: ${error.message}${this.server ? `\n${this.server.output()}` : ""}`);
      }
    },
    async close() {
      if (this.server) stopDriver(this.server.child);
      this.server = null;
    },
  };
}

const firefox = webDriverEngine({
  name: "Firefox",
  // Port 0 for BiDi too: each geckodriver's Firefox listens where it can.
  driverCommand: (port) => [BINARIES.geckodriver(), [`--port=${port}`, "--websocket-port=0"]],
  capabilities: (proxy) => {
    const address = proxy.url.replace("http://", "");
    return {
      browserName: "firefox",
      proxy: { proxyType: "manual", httpProxy: address, sslProxy: address },
      "moz:firefoxOptions": {
        binary: BINARIES.firefox(),
        args: ["-headless"],
        prefs: {
          // Loopback through the proxy too (see the header).
          "network.proxy.allow_hijacking_localhost": true,
          // No request for /favicon.ico of its own: under `default-src 'none'` it is a CSP
          // violation that is the browser's, not the page's.
          "browser.chrome.site_icons": false,
        },
      },
    };
  },
  bidi: true,
  recorded: false,
});

const webkit = webDriverEngine({
  name: "WebKit",
  driverCommand: (port) =>
    process.env.DISPLAY
      ? [BINARIES.webkitDriver(), [`--port=${port}`]]
      : ["xvfb-run", ["-a", "-s", "-screen 0 1280x1024x24", BINARIES.webkitDriver(), `--port=${port}`]],
  capabilities: (proxy) => ({
    browserName: "MiniBrowser",
    "webkitgtk:browserOptions": {
      // MiniBrowser with the proxy in its environment (see the header); `--automation` is what
      // WebKitWebDriver would pass it.
      binary: "/usr/bin/env",
      args: [`http_proxy=${proxy.url}`, `https_proxy=${proxy.url}`, "no_proxy=", BINARIES.miniBrowser(), "--automation"],
    },
  }),
  bidi: false,
  recorded: true,
  quirks: {
    // WebKit's fetch() never takes the response of a `<link rel="preload" as="fetch">`: measured
    // (WebKitGTK 2.50) with the fetch made at once and after the load event, with `crossorigin`
    // and `crossorigin="anonymous" type="application/wasm"`, as a string and as a URL. A preloaded
    // .wasm is downloaded again by the SDK's fetch.
    fetchTakesPreload: false,
  },
});

// ---------------------------------------------------------------------------------------------

/** What an engine does differently that a test must expect (`engine.quirks`; absent: as the others). */
export const QUIRKS = {
  /** fetch() takes a response preloaded by `<link rel="preload" as="fetch">` (false in WebKit). */
  fetchTakesPreload: (engine) => engine.quirks.fetchTakesPreload ?? true,
};

class Context {
  constructor(engine, proxy, impl) {
    this.engine = engine;
    this.proxy = proxy;
    this.impl = impl;
  }

  /** The requests to https://service.giosg.com, as tests/e2e/proxy.mjs records them, less the
   * CORS preflights (see `preflights`). */
  get traffic() {
    return this.proxy.traffic.filter((t) => t.method !== "OPTIONS");
  }

  /** The CORS preflights the browser sent to https://service.giosg.com. */
  get preflights() {
    return this.proxy.traffic.filter((t) => t.method === "OPTIONS");
  }

  /** The requests to loopback origins (the pages and their files), with `dest` (Sec-Fetch-Dest). */
  get requests() {
    return this.proxy.requests;
  }

  openPage(url) {
    return this.impl.openPage(url);
  }

  async close() {
    try {
      await this.impl.close();
    } finally {
      await this.proxy.close();
    }
  }
}

const ENGINES = { chromium, firefox, webkit };

/**
 * The engines to run in: all three, or those E2E_ENGINES names (comma-separated:
 * `E2E_ENGINES=webkit` while working on WebKit).
 */
export const engines = (process.env.E2E_ENGINES ?? "chromium,firefox,webkit").split(",").map((name) => {
  const engine = ENGINES[name.trim().toLowerCase()];
  if (!engine) throw new Error(`E2E_ENGINES: no engine ${name} (there are ${Object.keys(ENGINES).join(", ")})`);
  return engine;
});

export { chromium };

/** Stops every browser and driver started. */
export async function closeEngines() {
  for (const engine of Object.values(ENGINES)) await engine.close();
}
