// Where a position of bundled JavaScript came from, by its source map (mappings: lines of the
// bundle split by ";", segments by ","; each segment [column, source, line, column, name?], the
// column relative to the previous segment of the line, the rest to the previous segment of all).
// For tests that check a bundle's stack frames name the app's own lines.
import { decodeVlq } from "../bindings/wasm-sites.js";

export interface JsSourceMap {
  sources: string[];
  mappings: string;
}

/** The source and line (1-based) the code at `line`:`column` (1-based, as stack frames count) of
 *  the bundle came from: the last segment at or before it on that line; undefined when none. */
export function originalPosition(map: JsSourceMap, line: number, column: number): { source: string; line: number } | undefined {
  let source = 0, sourceLine = 0;
  let found: { source: string; line: number } | undefined;
  const lines = map.mappings.split(";");
  for (let l = 0; l < line && l < lines.length; l++) {
    let generated = 0;
    for (const segment of lines[l].split(",")) {
      if (!segment) continue;
      const v = decodeVlq(segment);
      generated += v[0];
      if (v.length < 4) continue;
      source += v[1];
      sourceLine += v[2];
      if (l === line - 1 && generated <= column - 1) found = { source: map.sources[source], line: sourceLine + 1 };
    }
  }
  return found;
}
