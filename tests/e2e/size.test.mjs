// What ships stays within its budget on the chosen stack, for each kind of user: the .wasm plus
// the JS its page loads (a bundler's build minified by Vite, the minified native ES modules entry,
// the minified embed), gzip -9, at most BUDGET_BYTES (bench/size.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUDGET_BYTES, measure, sizeTable } from "../../bench/size.mjs";

test("what each kind of user downloads stays within the size budget", () => {
  const result = measure();
  assert.deepEqual(Object.keys(result.downloads), ["bundler (Vite 8 build)", "native ES modules", "script tag"]);
  for (const [kind, { gzip }] of Object.entries(result.downloads)) {
    assert.ok(gzip <= BUDGET_BYTES, `${kind}: ${gzip} bytes gzip, budget ${BUDGET_BYTES}\n${sizeTable(result)}`);
  }
});
