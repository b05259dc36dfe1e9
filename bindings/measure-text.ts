// An overhead result (measure.ts) as the plain-text table `rcalloc bench` prints.
import type { OverheadResult } from "./measure.js";

/**
 * The result as text: one line per build (ms per call, median / min / max), peak pages, the
 * ratio, the checksums, and the notes. `title` is the first line (the CLI names the file there).
 */
export function overheadToText(result: OverheadResult, title?: string): string {
  const what = result.kind === "module" ? `entry ${result.entry}` : "heap workload";
  const lines = [
    title ?? `rcalloc overhead: ${what}`,
    `${result.rounds} round${result.rounds === 1 ? "" : "s"}, ${result.callsPerRound} call${result.callsPerRound === 1 ? "" : "s"} ` +
      `per build per round, builds interleaved, fresh instances each round`,
  ];
  for (const build of ["unchecked", "checked"] as const) {
    const b = result.builds[build];
    lines.push(`${build.padEnd(10)} ${ms(b.perCallMs.median).padStart(9)} ms/call   min ${ms(b.perCallMs.min)}   max ${ms(b.perCallMs.max)}`);
  }
  const { unchecked, checked } = result.builds;
  lines.push(`pages      peak ${unchecked.peakPages} unchecked, ${checked.peakPages} checked (64 KiB each)`);
  const r = result.ratio;
  lines.push(`overhead   checked/unchecked: median ${r.median.toFixed(2)}x   min ${r.min.toFixed(2)}x   max ${r.max.toFixed(2)}x`);
  if (result.checksumsEqual !== null) {
    lines.push(result.checksumsEqual
      ? `checksum   ${result.builds.checked.checksum} (both builds)`
      : `checksum   DIFFERS: unchecked ${result.builds.unchecked.checksum}, checked ${result.builds.checked.checksum}`);
  }
  const env = result.environment;
  lines.push(`timer      ${ms(result.timer.resolutionMs)} ms resolution; ${[env.runtime, env.engine].filter(Boolean).join(", ") || "unknown runtime"}`);
  for (const note of result.notes) lines.push(`note       ${note}`);
  return lines.join("\n");
}

function ms(value: number): string {
  return value >= 0.001 ? value.toFixed(3) : value.toPrecision(3);
}
