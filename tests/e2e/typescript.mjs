// Shared by the end-to-end tests: type-checks with the repository's TypeScript compiler.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

const TSC = join(resolve(import.meta.dirname, "../.."), "node_modules/.bin/tsc");

/**
 * Type-checks the project `tsconfig` (from `cwd`), which must fail on exactly the lines of `file`
 * marked `// error:`, `count` of them: each mistake caught where it is, none elsewhere.
 */
export function failsWhereMarked(tsconfig, file, count, cwd) {
  let output = "";
  try {
    execFileSync(TSC, ["-p", tsconfig], { cwd, encoding: "utf8", stdio: "pipe" });
    assert.fail(`${basename(file)} type-checked`);
  } catch (error) {
    if (error.code === "ERR_ASSERTION") throw error;
    output = `${error.stdout}${error.stderr}`;
  }
  const marked = readFileSync(file, "utf8").split("\n").flatMap((line, i) => (line.includes("// error:") ? [i + 1] : []));
  const name = basename(file).replaceAll(".", "\\.");
  const reported = [...new Set([...output.matchAll(new RegExp(`${name}\\((\\d+),\\d+\\): error TS\\d+`, "g"))].map((m) => Number(m[1])))];
  assert.equal(marked.length, count);
  assert.deepEqual(reported.sort((a, b) => a - b), marked, output);
}
