// The bench's printed tables: every header label stands apart from its neighbours and lines up
// with its column's cells (labels longer than a fixed width once ran together:
// "checkedchecked, no quarantine").
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain JS bench module
import { ALLOCATORS } from "../bench/allocators.js";
// @ts-expect-error: plain JS bench module
import { opsTable, replayTable } from "../bench/report.js";

type Allocator = { id: string; label: string; floor?: boolean };
const allocators = ALLOCATORS as Allocator[];
const short = (label: string) => label.replace("rcalloc ", "");

/** Right edges of `labels` found in order along `line` (each must follow a space). */
function rightEdges(line: string, labels: string[]): number[] {
  let from = 0;
  return labels.map((label) => {
    const at = line.indexOf(" " + label, from);
    expect(at, `"${label}" stands apart in: ${line}`).toBeGreaterThanOrEqual(0);
    from = at + 1 + label.length;
    return from;
  });
}

describe("bench tables", () => {
  it("replay table: ratio headers stand apart and line up with their cells", () => {
    const peers = allocators.filter((a) => !a.floor);
    const results = allocators.map((a, i) => ({
      id: a.id, label: a.label, floor: a.floor, opsPerUs: { median: 10 + i, min: 9, max: 12 },
      ownNs: { median: 5 + i }, pages: { peak: 3, grown: 1 },
      ownRatio: Object.fromEntries(peers.map((p) => [p.id, 1.25])), pagesRatio: { dlmalloc: 1 },
    }));
    const text: string = replayTable([{ label: "w", about: "a", opsPerCall: 1, callsPerRound: 1, rounds: 1, results }]);
    const lines = text.split("\n");
    const header = lines.find((l) => l.includes("own ÷"))!;
    const headEdges = rightEdges(header.slice(header.indexOf("own ÷")), peers.map((p) => short(p.label)));
    const row = lines.find((l) => l.trimStart().startsWith(allocators[0].label + " "))!;
    const cells = row.slice(header.indexOf("own ÷"));
    for (const edge of headEdges) expect(cells[edge - 1], cells).toMatch(/[0-9·—]/);
  });

  it("per-operation table: column labels stand apart", () => {
    const results = allocators.map((a) => ({ id: a.id, label: a.label, floor: a.floor, nsPerOp: 12.5, ownNs: 3.25 }));
    const text: string = opsTable([{ label: "get+put", opsPerCall: 1000, results }]);
    const header = text.split("\n")[1];
    rightEdges(header, allocators.map((a) => a.label));
  });
});
