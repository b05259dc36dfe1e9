// rcalloc/vitest: per-test leak checks. `leakCheck(() => heap)` marks the heap before each test
// and fails the test when references or objects taken during it are still live after it, or
// when validate() fails then (a write after free still in the quarantine);
// `await expectNoLeaks(heap, body)` checks one piece of code. Failures carry the text report,
// which names where each leaked reference was taken (checked build with `stacks: true`).
// Only this entry point imports vitest; `rcalloc` itself never does.
import { afterEach, beforeEach } from "vitest";
import { plural } from "./format.js";
import { describeLeakTotals, reportLeaks, type Report, type ReportOptions } from "./report.js";

/** What the checks need of a heap (a Heap has it). */
export interface LeakCheckHeap {
  /** A cursor: what is taken after it counts as new. */
  mark(): number;
  /** The objects and references taken after `mark` that are still live (ignored objects left out). */
  leaksSince(mark: number): Report;
  /** Checks the heap (a Heap has it): run before the leaks, so a write after free still waiting
   *  in the quarantine fails the check (WriteAfterFreeError, with its sites) instead of passing. */
  validate?(): void;
}

export interface LeakCheckOptions {
  /** Caps for the text in the failure message (default: 10 groups, 5 references a group). */
  report?: ReportOptions;
  /** Also check tests that already failed (default false: a failing test often leaks on its way out). */
  checkFailedTests?: boolean;
}

/** Leaks found by a check: the message is the text report; `report` has the records. */
export class LeakError extends Error {
  readonly code = "LEAK";
  constructor(message: string, readonly report: Report) {
    super(message);
    this.name = "LeakError";
  }
}


/**
 * Throws LeakError if anything taken on `heap` after `mark` is still live. `what` names the
 * code checked in the message ("test \"parses\"", "the body"). Returns the (empty) report otherwise.
 */
export function checkLeaksSince(heap: LeakCheckHeap, mark: number, what = "the code checked", options: LeakCheckOptions = {}): Report {
  // A freed block's poison is checked when it leaves the quarantine: one written to near the end
  // of the code checked is still waiting, and only validate() finds it now (as rcalloc check does).
  heap.validate?.();
  const report = heap.leaksSince(mark);
  const leaks = reportLeaks(report); // the figures every report states (bindings/leaks.ts)
  const count = leaks.count;
  if (count === 0) return report;
  let summary: string;
  if (report.checked) {
    summary = `${describeLeakTotals(leaks, "reference")} still live after it`;
  } else {
    summary = `${plural(count, "object")}: ${count} more live than before it ` +
      `(the unchecked build has no sites: run the checked build with stacks: true to see where)`;
  }
  const text = report.checked ? "\n\n" + report.toString({ maxGroups: 10, maxPerGroup: 5, ...options.report }) : "";
  throw new LeakError(`rcalloc: ${what} leaked ${summary}${text}`, report);
}

/**
 * Runs `body` and throws LeakError if it left references or objects live on `heap`.
 * Returns what `body` returns. If `body` throws, that error is rethrown unchecked.
 */
export async function expectNoLeaks<T>(heap: LeakCheckHeap, body: () => T | Promise<T>, options: LeakCheckOptions = {}): Promise<T> {
  const mark = heap.mark();
  const result = await body();
  checkLeaksSince(heap, mark, "the body", options);
  return result;
}

/**
 * Registers beforeEach / afterEach hooks in the current vitest suite (or file): each test must
 * give back everything it took on the heap. `getHeap` is called in each hook, so the heap can be
 * created in beforeAll or by an earlier beforeEach; return undefined to skip the check. Tests of
 * one heap must not run concurrently (it.concurrent): a mark belongs to one test at a time.
 */
export function leakCheck(getHeap: () => LeakCheckHeap | undefined, options: LeakCheckOptions = {}): void {
  let heap: LeakCheckHeap | undefined;
  let mark = 0;
  beforeEach(() => {
    heap = getHeap();
    if (heap) mark = heap.mark();
  });
  afterEach((context) => {
    const checked = heap;
    heap = undefined;
    if (!checked) return;
    if (context.task.result?.state === "fail" && !options.checkFailedTests) return;
    checkLeaksSince(checked, mark, `test "${context.task.name}"`, options);
  });
}
