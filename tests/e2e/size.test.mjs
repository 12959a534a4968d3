// What ships stays within its budget on the chosen stack: the shipped .wasm plus the glue as
// Vite minifies it, gzip -9, at most 80 KB (BUDGET_BYTES in bench/size.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUDGET_BYTES, measure, sizeTable } from "../../bench/size.mjs";

test("the shipped wasm and minified glue stay within the size budget", () => {
  const result = measure();
  assert.ok(result.shipped <= BUDGET_BYTES, `shipped ${result.shipped} bytes gzip, budget ${BUDGET_BYTES}\n${sizeTable(result)}`);
});
