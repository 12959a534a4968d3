// The quick starts of both READMEs (README.md, and packaging/README.md: the one npm shows), run as
// written in a fresh folder. Each code block marked `<!-- quickstart: <name> -->` is read from the
// README itself, so that the docs cannot drift from what is tested: the README's `npm install`
// line installs the tarball that scripts/package.sh packed; the bundler code is built by Vite 8
// (no configuration), by Vite 6 (with the README's vite.config.js; and served by its dev server),
// both with the README's index.html, and by webpack 5 (with the README's config and page); the
// native ES modules page and the script-tag page (a classic script, with the embed files taken
// from the tarball as the README says, under the README's Content Security Policy) run as they
// are; each of these pages runs in Chromium, Firefox and WebKit (tests/e2e/engines.mjs), and so
// does the consent quick start. The TypeScript blocks type-check with `tsc --strict` and the
// compiler's default `lib`. Each built or plain page loads the SDK as one script (no chain of
// imports), and downloads the .wasm once: the request its preload link made (in WebKit, whose
// fetch() takes no preloaded response, the SDK's fetch downloads it again). The Rust quick start
// (README.md's) is the whole main.rs of a wasm32 binary (examples/visitor-app/build.rs extracts it;
// scripts/example.sh, which scripts/test.sh runs first, builds it), and runs in Chromium.
//
// The code talks to https://service.giosg.com, as written, and no engine may reach it. Playwright's
// routing (which answered Chromium's requests there before) exists in Chromium only; what is the
// same in every engine is a proxy: each browser context is pointed at a forward proxy of the test's
// own (tests/e2e/proxy.mjs: the WebDriver `proxy` capability, Playwright's `proxy` option), which
// terminates TLS for service.giosg.com with a self-signed certificate (accepted by
// `acceptInsecureCerts`), forwards each request to a local server of the test's own and records it
// (method, path, status, body, Authorization), and records the pages' own requests with their
// `Sec-Fetch-Dest` (how scripts are counted). The quick starts' console lines come from Playwright
// (Chromium), WebDriver BiDi `log.entryAdded` (Firefox), and, since WebKitGTK 2.50's driver has no
// BiDi, from a test-only recorder that the proxy puts first in WebKit's pages (engines.mjs says
// how). The code of each quick start is not changed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, execSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { localServer, stopLocalServers } from "./browser.mjs";
import { QUIRKS, chromium, closeEngines, engines } from "./engines.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const VERSION = /^version = "(.*)"/m.exec(readFileSync(join(ROOT, "Cargo.toml"), "utf8"))[1];
const TARBALL = join(ROOT, "target/package", `giosg-visitor-${VERSION}.tgz`);
const VITE = { 8: join(ROOT, "node_modules/vite"), 6: join(ROOT, "node_modules/vite6") };
// The default `apiBaseUrl`, which the quick starts use (tests/e2e/proxy.mjs answers it).
const API = "https://service.giosg.com";

/** The quick starts each README must mark (those named react… are run by tests/e2e/react.test.mjs,
 * next… by tests/e2e/nextjs.test.mjs, vue… by tests/e2e/vue.test.mjs). */
const EXPECTED = {
  "README.md": ["install", "bundler", "vite-config", "bundler-html", "webpack-config", "webpack-html", "consent", "realtime", "embed-html", "embed-app", "react", "react-provider", "react-consent", "next-layout", "next-page", "vue", "vue-consent", "rust", "leptos"],
  "packaging/README.md": ["install", "bundler", "vite-config", "bundler-html", "webpack-config", "webpack-html", "esm", "embed-files", "embed-html", "embed-app", "embed-ts", "typescript", "react", "consent"],
};

/** The code blocks marked `<!-- quickstart: name -->` in a README: name → code. */
function quickstarts(file) {
  const blocks = new Map();
  for (const [, name, code] of readme(file).matchAll(/<!-- quickstart: ([\w-]+) -->\n```\w+\n([\s\S]*?)\n```\n/g)) {
    assert.ok(!blocks.has(name), `${file}: two quick starts named ${name}`);
    blocks.set(name, `${code}\n`);
  }
  return blocks;
}

function readme(file) {
  return readFileSync(join(ROOT, file), "utf8");
}

const docs = Object.fromEntries(Object.keys(EXPECTED).map((file) => [file, quickstarts(file)]));

/** The distinct codes of quick start `name` across the READMEs (one when they agree). */
function variants(name) {
  return [...new Set(Object.values(docs).flatMap((blocks) => (blocks.has(name) ? [blocks.get(name)] : [])))];
}

/** A shell line of a quick start with its placeholders filled in: this repository's folder and version. */
function filled(line) {
  return line.replaceAll("/path/to/giosg-visitor", ROOT).replaceAll("<version>", VERSION);
}

/** Where the Rust quick start is read from (examples/visitor-app/build.rs reads the same, for the
 * harness it builds). */
const RUST_QUICKSTART = "README.md";
/** What scripts/example.sh builds: the Rust quick start's harness and page, among others. */
const EXAMPLE_WWW = join(ROOT, "target/example-www");

let app;

before(() => {
  assert.ok(existsSync(TARBALL), `scripts/package.sh packs ${TARBALL}`);
  app = mkdtempSync(join(tmpdir(), "giosg-visitor-quickstart-"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "an-app", private: true, type: "module" }));
  // The README's own install line (scripts/package.sh has run: scripts/test.sh runs it first).
  for (const code of variants("install")) {
    const install = code.split("\n").filter((line) => line.startsWith("npm install "));
    assert.equal(install.length, 1, code);
    execSync(filled(install[0]), { cwd: app, stdio: "pipe", env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  }
});

after(async () => {
  await closeEngines();
  stopLocalServers();
  if (app) rmSync(app, { recursive: true, force: true });
});

/**
 * Opens `url` in a fresh context of `engine`, with the requests to the API answered by the local
 * server at `api`, and waits for the quick start's last log line (`console.log(response.status, …)`
 * when it fetches a room, else `console.log("visitor", …)`); a page error or a console error fails.
 * Checks that one visitor was authenticated and logged, and that the room request carried its
 * token and logged the answer as the server gave it. With `scripts`, that the page requested that
 * many scripts (the SDK is one of them, with no imports to follow); with `preloaded`, that the
 * page requested the .wasm once, and that this one request was its `<link rel="preload">`.
 */
async function runQuickstart(engine, url, api, { fetchesRoom, scripts, preloaded = false }) {
  const context = await engine.newContext({ api });
  try {
    const page = await context.openPage(url);
    const isLast = (args) => (fetchesRoom ? typeof args[0] === "number" : args[0] === "visitor");
    await page.until("last log line", () => page.errors.length > 0 || page.logs.some((l) => l.level === "log" && isLast(l.args)));
    assert.deepEqual(page.errors, []);
    const logs = page.logs.filter((l) => l.level === "log").map((l) => l.args);

    const traffic = context.traffic;
    const auth = traffic.filter((t) => t.pathname.endsWith("/auth"));
    assert.equal(auth.length, 1, JSON.stringify(traffic));
    assert.equal(auth[0].method, "POST");
    assert.equal(auth[0].status, 200, auth[0].body);
    const answer = JSON.parse(auth[0].body);
    assert.deepEqual(logs.find((args) => args[0] === "visitor")?.slice(0, 2), ["visitor", answer.visitor_id], JSON.stringify(logs));
    const rooms = traffic.filter((t) => t.pathname.startsWith(`/api/v5/public/orgs/${answer.organization_id}/rooms/`));
    if (fetchesRoom) {
      assert.equal(rooms.length, 1, JSON.stringify(traffic));
      assert.equal(rooms[0].authorization, `Bearer ${answer.access_token}`);
      // The token was accepted: the placeholder room id names no room (404), rather than 401.
      assert.equal(rooms[0].status, 404, rooms[0].body);
      assert.deepEqual(logs.at(-1), [rooms[0].status, JSON.parse(rooms[0].body)]);
    } else {
      assert.equal(rooms.length, 0);
    }

    if (scripts !== undefined) {
      const requested = context.requests.filter((r) => r.dest === "script").map((r) => r.pathname);
      assert.equal(requested.length, scripts, `scripts requested: ${requested.join(", ")}`);
    }
    if (preloaded) {
      // The page's own record of what it fetched: a .wasm fetched apart from its preload (a
      // preload the SDK's fetch cannot reuse) is a second entry, initiated by `fetch`. WebKit's
      // fetch() takes no preload (engines.mjs, QUIRKS): there the SDK downloads it again, once.
      const expected = QUIRKS.fetchTakesPreload(engine) ? ["link"] : ["link", "fetch"];
      const wasm = context.requests.filter((r) => r.pathname.endsWith(".wasm"));
      assert.equal(wasm.length, expected.length, `.wasm requests: ${JSON.stringify(wasm)}`);
      const timings = await page.evaluate(() =>
        performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname.endsWith(".wasm")).map((e) => e.initiatorType),
      );
      assert.deepEqual(timings, expected, expected.length === 1 ? "the one .wasm download is the preload's" : "the preload's download, then the SDK's");
    }
  } finally {
    await context.close();
  }
}

/** How a test's name says what it checks of the .wasm in `engine`. */
function preloadedWasm(engine) {
  return QUIRKS.fetchTakesPreload(engine) ? "its preloaded .wasm" : "its .wasm preloaded, then fetched again (WebKit's fetch() takes no preload)";
}

/** `build()` once, whichever engine's test asks first; the same result (or error) for the others. */
function once(build) {
  let built;
  return () => {
    if (!built) {
      try {
        built = { value: build() };
      } catch (error) {
        built = { error };
      }
    }
    if (built.error) throw built.error;
    return built.value;
  };
}

/** A page around a quick start's HTML: what comes before its first `<script` (its preload
 * links) goes in the head, as the READMEs say; `head` is put there too. */
function pageAround(snippet, head = "") {
  const at = snippet.indexOf("<script");
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n${head}<title>An app</title>\n${snippet.slice(0, at)}</head>\n<body>\n${snippet.slice(at)}</body>\n</html>\n`;
}

/** A fresh folder of the app with `files` (name → text), for one bundler, with the app's
 * installed packages beside them (node_modules/, as where the README installs the package). */
function appFolder(name, files) {
  const dir = join(app, name);
  mkdirSync(dir);
  symlinkSync(join(app, "node_modules"), join(dir, "node_modules"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}


test("both READMEs mark their quick starts, and their install lines name the tarball scripts/package.sh packs", () => {
  for (const [file, names] of Object.entries(EXPECTED)) {
    assert.deepEqual([...docs[file].keys()].sort(), [...names].sort(), file);
    const text = readme(file);
    // Every code block of the package README is a quick start; so is every one in the
    // repository README's "Quick start" section.
    const section = file === "README.md" ? /\n### Quick start\n([\s\S]*?)\n### /.exec(text)[1] : text;
    const fences = section.match(/^```\w+$/gm) ?? [];
    const marked = section.match(/^<!-- quickstart: [\w-]+ -->\n```\w+$/gm) ?? [];
    assert.equal(marked.length, fences.length, `${file}: a code block without its quickstart mark`);
    const install = docs[file].get("install").split("\n");
    assert.match(install[0], /^bash scripts\/package\.sh /);
    assert.match(install[1], /^npm install \/path\/to\/giosg-visitor\/target\/package\/giosg-visitor-<version>\.tgz /);
    assert.equal(filled(install[1].split(" ")[2]), TARBALL);
    // The Vite errors, quoted so that a search finds them (tests/e2e/package.test.mjs checks the first).
    const prose = text.replace(/\s+/g, " ");
    assert.ok(prose.includes("`CompileError: WebAssembly.instantiate(): expected magic word 00 61 73 6d, found 3c 21 64 6f`"), file);
    assert.ok(prose.includes('"Top-level await is not available in the configured target environment"'), file);
  }
  // What npm shows is the README tested here.
  assert.equal(execFileSync("tar", ["-xzOf", TARBALL, "package/README.md"], { encoding: "utf8" }), readme("packaging/README.md"));
});

test("the README's Leptos form is tests/leptos-app/src/main.rs as written (compiled by hand: a cold build takes over two minutes)", () => {
  assert.equal(quickstarts("README.md").get("leptos"), readFileSync(join(ROOT, "tests/leptos-app/src/main.rs"), "utf8"));
});

test("the package README's links reach sections of the repository's README, and package.json names the repository", () => {
  const repository = /^repository = "(.*)"/m.exec(readFileSync(join(ROOT, "Cargo.toml"), "utf8"))[1];
  const manifest = JSON.parse(readFileSync(join(app, "node_modules/giosg-visitor/package.json"), "utf8"));
  assert.equal(manifest.repository.url, `git+${repository}.git`);
  assert.equal(manifest.homepage, `${repository}#readme`);
  assert.equal(manifest.bugs, `${repository}/issues`);
  // GitHub's anchors: the heading in lower case, without punctuation, spaces as hyphens.
  const anchors = new Set(
    [...readme("README.md").matchAll(/^#+ (.*)$/gm)].map(([, heading]) => heading.toLowerCase().replace(/[^\w\- ]/g, "").replaceAll(" ", "-")),
  );
  const links = [...readme("packaging/README.md").matchAll(/\]\((https:\/\/github\.com\/[^)#]*)(?:#([^)]*))?\)/g)];
  // The reference is in the package README itself; what it links (the repository, its deeper
  // sections) must still be there.
  assert.ok(links.length >= 1, "the package README links the repository");
  for (const [, url, anchor] of links) {
    assert.equal(url, repository);
    if (anchor) assert.ok(anchors.has(anchor), `#${anchor} is no heading of README.md`);
  }
});

// Each build is made once (the first engine's test makes it) and served to every engine.

/** The bundler quick start built by Vite 8 with the README's index.html: a dist folder per variant. */
const vite8Builds = once(() => {
  const dists = [];
  for (const [i, main] of variants("bundler").entries()) {
    for (const [j, html] of variants("bundler-html").entries()) {
      const dir = appFolder(`vite8-${i}-${j}`, { "index.html": html, "main.js": main });
      execFileSync(process.execPath, [join(VITE[8], "bin/vite.js"), "build"], { cwd: dir, stdio: "pipe" });
      dists.push(join(dir, "dist"));
    }
  }
  return dists;
});

for (const engine of engines) {
  test(`the bundler quick start, built by Vite 8 with no configuration, runs in ${engine.name} as one script and ${preloadedWasm(engine)}`, async () => {
    for (const dist of vite8Builds()) {
      await runQuickstart(engine, `${await localServer(dist)}/`, await localServer(), { fetchesRoom: true, scripts: 1, preloaded: true });
    }
  });
}

/** The organization the quick starts are written for. */
const ORG = "e6a08f51-c250-4074-847b-58d444dbbeb1";

/** How many `sub`s the server at `api` has confirmed for the quick starts' organization. */
async function confirmedSubs(api) {
  return (await (await fetch(`${api}/__control/orgs/${ORG}/stats`)).json()).sockets.confirmed;
}

/** The real-time quick start, built by Vite 8 with a page that names a room of `api` (the local
 * server the proxy answers the API from), made once for every engine. */
const realtimeBuild = once(async () => {
  const api = await localServer();
  const answer = await fetch(`${api}/__control/orgs/${ORG}/rooms`, { method: "POST", body: "{}" });
  const room = (await answer.json()).id;
  const html = `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>A chat</title></head>\n<body data-room="${room}"><script type="module" src="/main.js"></script></body>\n</html>\n`;
  const dists = variants("realtime").map((main, i) => {
    const dir = appFolder(`realtime-${i}`, { "index.html": html, "main.js": main });
    execFileSync(process.execPath, [join(VITE[8], "bin/vite.js"), "build"], { cwd: dir, stdio: "pipe" });
    return join(dir, "dist");
  });
  return { api, dists };
});

for (const engine of engines) {
  test(`the real-time quick start starts a chat and prints the operator's message that arrives on the socket, in ${engine.name}`, async () => {
    const { api, dists } = await realtimeBuild();
    for (const dist of dists) {
      const confirmedBefore = await confirmedSubs(api);
      const context = await engine.newContext({ api });
      try {
        const page = await context.openPage(`${await localServer(dist)}/`);
        const chat = await page.until("chat logged", () => page.errors.length > 0 || page.logs.find((l) => l.text.startsWith("chat "))?.text.slice(5));
        assert.deepEqual(page.errors, []);
        // Its messages channel subscribed (the server confirms two subs of this page's visitor):
        // then the operator writes.
        const answers = context.traffic.filter((t) => t.pathname.endsWith("/auth")).map((t) => JSON.parse(t.body));
        assert.equal(answers.length, 1);
        const started = context.traffic.filter((t) => t.method === "POST" && t.pathname.endsWith("/chats"));
        assert.equal(started.length, 1);
        assert.equal(JSON.parse(started[0].body).id, chat);
        await page.until("the messages channel subscribed", async () => (await confirmedSubs(api)) >= confirmedBefore + 2);
        await fetch(`${api}/__control/orgs/${ORG}/chats/${chat}/messages`, { method: "POST", body: JSON.stringify({ message: `Hello from ${engine.name}` }) });
        await page.until("the operator's message printed", () => page.errors.length > 0 || page.logs.some((l) => l.text === `operator: Hello from ${engine.name}`));
        assert.deepEqual(page.errors, []);
      } finally {
        await context.close();
      }
    }
  });
}

const CONSENT_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>An app with a consent banner</title></head>
<body><button id="accept">Accept</button><button id="decline">Decline</button><script type="module" src="/main.js"></script></body>
</html>
`;

/** The consent quick start, with a page of two buttons, built by Vite 8: a dist folder per variant. */
const consentBuilds = once(() =>
  variants("consent").map((main, i) => {
    const dir = appFolder(`consent-${i}`, { "index.html": CONSENT_HTML, "main.js": main });
    execFileSync(process.execPath, [join(VITE[8], "bin/vite.js"), "build"], { cwd: dir, stdio: "pipe" });
    return join(dir, "dist");
  }),
);

for (const engine of engines) {
  test(`the consent quick start stores nothing before consent, keeps the visitor when it is given, and erases every copy when it is withdrawn, in ${engine.name}`, async () => {
    for (const dist of consentBuilds()) {
      const context = await engine.newContext({ api: await localServer() });
      try {
        const page = await context.openPage(`${await localServer(dist)}/`);
        const line = await page.until("visitor logged", () => page.errors.length > 0 || page.logs.find((l) => l.text.startsWith("visitor "))?.text);
        assert.deepEqual(page.errors, []);
        const answers = () => context.traffic.filter((t) => t.pathname.endsWith("/auth")).map((t) => JSON.parse(t.body));
        assert.equal(answers().length, 1);
        assert.equal(line, `visitor ${answers()[0].visitor_id}`);
        const stored = () => page.evaluate(() => [localStorage, sessionStorage].flatMap((storage) => Object.keys(storage).map((key) => [key, storage.getItem(key)])));
        assert.deepEqual(await stored(), [], "stored before consent");

        await page.click("#accept");
        const secretKey = `giosg:${API}:secret`;
        await page.waitFor("the secret in localStorage", (key) => localStorage.getItem(key) !== null, secretKey);
        const kept = Object.fromEntries(await stored());
        assert.equal(JSON.parse(kept[secretKey]).secret, answers()[0].visitor_secret_id, "consent kept another visitor");

        await page.click("#decline");
        await page.waitFor("both storages empty", () => localStorage.length === 0 && sessionStorage.length === 0);
        assert.equal(answers().length, 1, "consent given or withdrawn made a request");
        await page.sync();
        assert.deepEqual(page.errors, []);
      } finally {
        await context.close();
      }
    }
  });
}

/** The bundler quick start built by Vite 6 with the README's vite.config.js and index.html. */
const vite6Builds = once(() => {
  const dists = [];
  for (const [i, main] of variants("bundler").entries()) {
    for (const [j, config] of variants("vite-config").entries()) {
      for (const [k, html] of variants("bundler-html").entries()) {
        const dir = appFolder(`vite6-${i}-${j}-${k}`, { "index.html": html, "main.js": main, "vite.config.js": config });
        execFileSync(process.execPath, [join(VITE[6], "bin/vite.js"), "build"], { cwd: dir, stdio: "pipe" });
        dists.push(join(dir, "dist"));
      }
    }
  }
  return dists;
});

for (const engine of engines) {
  test(`the bundler quick start, built by Vite 6 with the README's vite.config.js, runs in ${engine.name} as one script and ${preloadedWasm(engine)}`, async () => {
    for (const dist of vite6Builds()) {
      await runQuickstart(engine, `${await localServer(dist)}/`, await localServer(), { fetchesRoom: true, scripts: 1, preloaded: true });
    }
  });
}

const devServers = [];
after(async () => {
  for (const server of devServers.splice(0)) await server.close();
});

/** Vite 6's dev server on the bundler quick start with the README's vite.config.js: a URL per variant. */
const vite6DevUrls = once(async () => {
  const { createServer } = await import(join(VITE[6], "dist/node/index.js"));
  const urls = [];
  for (const [i, main] of variants("bundler").entries()) {
    for (const [j, config] of variants("vite-config").entries()) {
      for (const [k, html] of variants("bundler-html").entries()) {
        const dir = appFolder(`vite6-dev-${i}-${j}-${k}`, { "index.html": html, "main.js": main, "vite.config.js": config });
        const server = await createServer({ root: dir, logLevel: "silent", server: { host: "127.0.0.1" } });
        devServers.push(server);
        await server.listen();
        urls.push(server.resolvedUrls.local[0]);
      }
    }
  }
  return urls;
});

for (const engine of engines) {
  test(`the bundler quick start, served by Vite 6's dev server with the README's vite.config.js, runs in ${engine.name}`, async () => {
    for (const url of await vite6DevUrls()) {
      await runQuickstart(engine, url, await localServer(), { fetchesRoom: true });
    }
  });
}

/** The bundler quick start built by webpack 5 with the README's config: a page URL of each README page. */
const webpackPages = once(async () => {
  const { default: webpack } = await import(join(ROOT, "node_modules/webpack/lib/index.js"));
  const pages = [];
  for (const [i, main] of variants("bundler").entries()) {
    for (const [j, readmeConfig] of variants("webpack-config").entries()) {
      // webpack's defaults, as `npx webpack --mode production` in the app's folder with the
      // README's webpack.config.js: src/index.js in, dist/main.js out (the default output path is
      // the working directory's, given here).
      const dir = appFolder(`webpack-${i}-${j}`, { "src/index.js": main, "webpack.config.js": readmeConfig });
      const { default: own } = await import(join(dir, "webpack.config.js"));
      const config = { mode: "production", context: dir, ...own, output: { path: join(dir, "dist"), ...own.output } };
      const stats = await new Promise((resolveStats, reject) => webpack(config, (error, result) => (error ? reject(error) : resolveStats(result))));
      assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
      const dist = join(dir, "dist");
      assert.ok(readdirSync(dist).some((f) => f.endsWith(".wasm")), `no .wasm among ${readdirSync(dist)}`);
      for (const [k, html] of variants("webpack-html").entries()) {
        writeFileSync(join(dist, `index-${k}.html`), pageAround(html));
        pages.push({ dist, page: `index-${k}.html` });
      }
    }
  }
  return pages;
});

for (const engine of engines) {
  test(`the bundler quick start, built by webpack 5 with the README's config, runs in ${engine.name} from the README's page as one script and ${preloadedWasm(engine)}`, async () => {
    for (const { dist, page } of await webpackPages()) {
      await runQuickstart(engine, `${await localServer(dist)}/${page}`, await localServer(), { fetchesRoom: true, scripts: 1, preloaded: true });
    }
  });
}

/** The native ES modules quick start as a page of the app's folder: a page name per variant. */
const esmPages = once(() =>
  variants("esm").map((snippet, i) => {
    writeFileSync(join(app, `esm-${i}.html`), pageAround(snippet));
    return `esm-${i}.html`;
  }),
);

for (const engine of engines) {
  test(`the native ES modules quick start runs as a page of the app's folder in ${engine.name}, as one module and ${preloadedWasm(engine)}`, async () => {
    for (const page of esmPages()) {
      await runQuickstart(engine, `${await localServer(app)}/${page}`, await localServer(), { fetchesRoom: false, scripts: 1, preloaded: true });
    }
  });
}

/** The script-tag quick start's folders: the README's page, its app.js, the embed files from the tarball. */
const embedFolders = once(() => {
  // The policy the package README states for the embed.
  const csp = /`(script-src 'self' 'wasm-unsafe-eval'; connect-src [^`]*)`/.exec(readme("packaging/README.md"))[1];
  const pages = new Set(Object.values(docs).filter((blocks) => blocks.has("embed-html")).map((blocks) => JSON.stringify([blocks.get("embed-html"), blocks.get("embed-app")])));
  assert.ok(pages.size >= 1);
  return [...pages].map((page, i) => {
    const [html, appJs] = JSON.parse(page);
    const dir = join(app, `embed-${i}`);
    mkdirSync(join(dir, "js"), { recursive: true });
    // Without npm: the README's command, next to the tarball.
    copyFileSync(TARBALL, join(dir, `giosg-visitor-${VERSION}.tgz`));
    for (const code of variants("embed-files")) {
      for (const line of code.split("\n").filter(Boolean)) execSync(filled(line), { cwd: dir, stdio: "pipe" });
    }
    for (const file of ["giosg-visitor.js", "giosg-visitor_bg.wasm"]) {
      copyFileSync(join(dir, "package/embed", file), join(dir, "js", file));
      // The same files as the installed package's embed/, which the READMEs also name.
      assert.ok(readFileSync(join(dir, "js", file)).equals(readFileSync(join(app, "node_modules/giosg-visitor/embed", file))), file);
    }
    writeFileSync(join(dir, "js/app.js"), appJs);
    writeFileSync(join(dir, "index.html"), pageAround(html, `<meta http-equiv="Content-Security-Policy" content="${csp}">\n`));
    return dir;
  });
});

for (const engine of engines) {
  test(`the script-tag quick start runs from a classic script in ${engine.name}, with the embed files from the tarball, under the README's CSP, as one script and ${preloadedWasm(engine)}`, async () => {
    for (const dir of embedFolders()) {
      // Two scripts: the embed, and the app's app.js.
      await runQuickstart(engine, `${await localServer(dir)}/`, await localServer(), { fetchesRoom: false, scripts: 2, preloaded: true });
    }
  });
}

test("the TypeScript quick starts (the module, and the embed's global) type-check with tsc --strict and the default lib", () => {
  const dir = join(app, "ts");
  mkdirSync(dir);
  const files = [];
  for (const name of ["typescript", "embed-ts"]) {
    for (const [i, code] of variants(name).entries()) {
      files.push(`${name}-${i}.ts`);
      writeFileSync(join(dir, files.at(-1)), code);
    }
  }
  // No `lib`: the compiler's default for the target.
  const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, target: "es2022", module: "esnext", moduleResolution: "bundler" };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files }));
  try {
    execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], { cwd: dir, encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    assert.fail(`${error.stdout}${error.stderr}`);
  }
});

test("the Rust quick start, its block built into a wasm32 app as its whole main.rs (scripts/example.sh), runs in Chromium: one visitor, its id printed, the room request with its token", async () => {
  const code = quickstarts(RUST_QUICKSTART).get("rust");
  assert.ok(code, `${RUST_QUICKSTART}: no rust quick start`);
  assert.match(code, /^use giosg_visitor::/m);
  // The harness runs this very block (build.rs extracts it; scripts/example.sh copies what it
  // extracted beside the build).
  assert.equal(readFileSync(join(EXAMPLE_WWW, "quickstart.rs.txt"), "utf8"), code, "the harness is stale: run scripts/example.sh");
  const context = await chromium.newContext({ api: await localServer() });
  try {
    const page = await context.openPage(`${await localServer(EXAMPLE_WWW)}/quickstart.html`);
    await page.until('"room: " line', () => page.errors.length > 0 || page.logs.some((l) => l.text.startsWith("room: ")));
    assert.deepEqual(page.errors, []);
    const logs = page.logs.filter((l) => l.level === "log").map((l) => l.text);

    const traffic = context.traffic;
    const auth = traffic.filter((t) => t.pathname.endsWith("/auth"));
    assert.equal(auth.length, 1, JSON.stringify(traffic));
    assert.equal(auth[0].status, 200, auth[0].body);
    const answer = JSON.parse(auth[0].body);
    assert.ok(logs.includes(`visitor ${answer.visitor_id}`), JSON.stringify(logs));
    assert.ok(logs.includes("token from Network, for 1800s"), `the subscription saw the session: ${JSON.stringify(logs)}`);
    const rooms = traffic.filter((t) => t.pathname.startsWith(`/api/v5/public/orgs/${answer.organization_id}/rooms/`));
    assert.equal(rooms.length, 1, JSON.stringify(traffic));
    assert.equal(rooms[0].authorization, `Bearer ${answer.access_token}`);
    // The token was accepted: the placeholder room id names no room (404), rather than 401.
    assert.equal(rooms[0].status, 404, rooms[0].body);
    assert.ok(logs.includes("room: HTTP 404"), JSON.stringify(logs));
  } finally {
    await context.close();
  }
});
