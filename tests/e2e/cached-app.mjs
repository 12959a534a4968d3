// An app folder of a test under target/<name>/, its dependencies installed from npm and kept there
// between runs (a second run installs nothing new), with the packed tarball installed over them at
// each run. For the framework apps whose installs are large (Next.js, Vue with Vite).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const VERSION = /^version = "(.*)"/m.exec(readFileSync(join(ROOT, "Cargo.toml"), "utf8"))[1];
export const TARBALL = join(ROOT, "target/package", `giosg-visitor-${VERSION}.tgz`);
const NPM_ENV = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

/**
 * target/<name>/ with `dependencies` (name → exact version) installed, and the tarball
 * scripts/package.sh packed installed over them (not saved: the next run's `npm install` takes
 * it out, and the run after installs the tarball it finds). Returns the folder.
 */
export function cachedApp(name, dependencies) {
  if (!existsSync(TARBALL)) throw new Error(`scripts/package.sh packs ${TARBALL}`);
  const dir = join(ROOT, "target", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name, private: true, type: "module", dependencies }, null, 2)}\n`);
  const npm = (...args) => execFileSync("npm", [...args, "--prefer-offline"], { cwd: dir, stdio: "pipe", env: NPM_ENV });
  npm("install");
  npm("install", "--no-save", TARBALL);
  return dir;
}
