// === Live progress: one \r-updated line on a TTY, plain milestone lines otherwise ===
// Writes to stderr so that stdout carries only the final tables (pipe-friendly).

export function createProgress(stream = process.stderr) {
  const tty = !!stream.isTTY;
  const started = Date.now();
  let current = "";
  let lastPlain = "";

  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  const draw = () => {
    if (!tty) return;
    const width = (stream.columns || 100) - 1;
    stream.write(`\r\x1b[K${current.slice(0, width)}`);
  };

  return {
    /** Replaces the live line: `fraction` of the whole run done, `text` what runs now. */
    update(fraction, text, phase = "") {
      const pct = `${Math.min(100, Math.floor(fraction * 100)).toString().padStart(3)}%`;
      current = `[${pct} ${elapsed()}] ${text}`;
      if (tty) draw();
      else if (phase && phase !== lastPlain) {
        // Without a TTY, print a line only when a new phase (workload, suite) starts.
        lastPlain = phase;
        stream.write(`[${pct} ${elapsed()}] ${phase}\n`);
      }
    },
    /** Prints a permanent line (a note, a warning) above the live line. */
    log(line) {
      if (tty) stream.write(`\r\x1b[K${line}\n`);
      else stream.write(`${line}\n`);
      draw();
    },
    /** Clears the live line before the final output. */
    done() {
      if (tty) stream.write("\r\x1b[K");
      current = "";
    },
  };
}
