// docs/overhead.schema.json compiled with Ajv (strict), for the tests of measureOverhead's results.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "vitest";

const schema = JSON.parse(readFileSync(new URL("../docs/overhead.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat("date-time", (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
export const validateOverhead = ajv.compile(schema);

/** The result as a CI job would store it (JSON text) validates against the schema. */
export function expectValidOverhead(result: unknown): void {
  const json = JSON.parse(JSON.stringify(result));
  const ok = validateOverhead(json);
  expect(validateOverhead.errors ?? [], ajv.errorsText(validateOverhead.errors)).toEqual([]);
  expect(ok).toBe(true);
}
