// Text for people, shared by every output (errors, text report, HTML report, command line):
// handles and addresses in hex, counted nouns, byte sizes, and untrusted text made printable.

/** "0x1008002a": handles and addresses read best in hex. */
export function hex(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

/** "1 reference", "1,024 references". */
export function plural(n: number, noun: string, nouns = noun + "s"): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : nouns}`;
}

/** "512 B", "1.50 KiB", "96.0 KiB", "4.00 MiB". */
export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) v /= 1024, u++;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

// C0 and C1 controls (ESC starts terminal escape sequences; CR and BS overwrite what was printed),
// DEL, line and paragraph separators, and the bidirectional overrides that reorder what is shown.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` safe to print on a terminal: every control character (newlines included) becomes a
 * visible escape such as `\x1b`. For text that comes from a wasm module or a caller (function
 * names, site labels, error messages), never for the lines an output is made of.
 */
export function printable(text: string): string {
  return String(text).replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Each line of `text` made printable (for a multi-line output built from untrusted parts). */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}
