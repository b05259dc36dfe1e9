// The records wasm and JS share (assembly/records.ts → bindings/records.ts): the committed TS
// module must be exactly what the AssemblyScript constants generate, so neither side can drift.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BlockWalk, ErrorCode, ObjectWalk, ReferenceWalk } from "../bindings/records.js";
import { ERROR_CLASSES } from "../bindings/errors.js";
// @ts-expect-error: a plain .mjs build script, no types
import { RECORDS_TS, recordsSource } from "../scripts/records.mjs";

describe("records shared by wasm and JS", () => {
  it("bindings/records.ts is what assembly/records.ts generates (run `npm run records` after a change)", async () => {
    expect(readFileSync(RECORDS_TS, "utf8")).toBe(await recordsSource());
  }, 60_000);

  it("the walk record is sized for the largest of its three uses", () => {
    expect(ObjectWalk.WORDS).toBeGreaterThanOrEqual(ReferenceWalk.WORDS);
    expect(ObjectWalk.WORDS).toBeGreaterThanOrEqual(BlockWalk.WORDS);
  });

  it("every error code has its typed error class, named by the code", () => {
    for (const [name, code] of Object.entries(ErrorCode)) {
      const ErrorClass = ERROR_CLASSES[code];
      expect(ErrorClass, name).toBeDefined();
      expect(new ErrorClass!("m", { handle: 0 }).code).toBe(name);
    }
  });
});
