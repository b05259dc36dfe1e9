// The runnable blocks of a Markdown file, for test/readme.test.ts.
//
// Every fenced ```sh (bash, shell) block is run as shell commands and every ```js block as an ES
// module, in order, unless an HTML comment right before the fence says otherwise:
//   <!-- readme-test: skip (why) -->     not run; the reason is required
//   <!-- readme-test: file PATH -->      written to PATH (any language) for the blocks after it
// In a shell block a command whose comment starts with `exit N` must exit N ("# exit 1: leaks");
// every other command must exit 0.

export interface Snippet {
  /** The Markdown file and the line of the opening fence, for messages. */
  where: string;
  lang: string;
  code: string;
  /** "run", "file" (write code to `path`), or "skip" (with `reason`). */
  action: "run" | "file" | "skip";
  path?: string;
  reason?: string;
}

const RUNNABLE = new Set(["sh", "bash", "shell", "js", "javascript"]);
const DIRECTIVE = /^<!--\s*readme-test:\s*(skip|file)\s*(.*?)\s*-->$/;

/** The fenced blocks of `markdown` that the test runs, writes or skips (with reasons). */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split("\n");
  const snippets: Snippet[] = [];
  let directive: { kind: string; arg: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const d = DIRECTIVE.exec(line);
    if (d) {
      directive = { kind: d[1], arg: d[2], line: i + 1 };
      continue;
    }
    const fence = /^(```+)\s*([\w-]*)/.exec(line);
    if (!fence) {
      if (line !== "") directive = undefined; // a directive applies to the very next block only
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.trim() === fence[1]);
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const lang = fence[2].toLowerCase();
    const code = lines.slice(i + 1, end).join("\n") + "\n";
    const where = `${file}:${i + 1}`;
    if (directive?.kind === "skip") {
      const reason = /^\((.+)\)$/.exec(directive.arg)?.[1];
      if (!reason) throw new Error(`${file}:${directive.line}: a skip needs a reason: <!-- readme-test: skip (why) -->`);
      snippets.push({ where, lang, code, action: "skip", reason });
    } else if (directive?.kind === "file") {
      if (!directive.arg) throw new Error(`${file}:${directive.line}: a file directive needs a path`);
      snippets.push({ where, lang, code, action: "file", path: directive.arg });
    } else if (RUNNABLE.has(lang)) {
      snippets.push({ where, lang, code, action: "run" });
    }
    directive = undefined;
    i = end;
  }
  return snippets;
}

/** The commands of a shell block: continuation lines joined, here-documents kept whole, comments apart. */
export function shellCommands(code: string): { command: string; exit: number }[] {
  const out: { command: string; exit: number }[] = [];
  let pending = "";
  const lines = code.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trimEnd();
    if (!pending && (line.trim() === "" || line.trim().startsWith("#"))) continue;
    const heredoc = /<<-?\s*(['"]?)(\w+)\1/.exec(line);
    if (heredoc) {
      // The command is its first line; the document's lines up to the terminator go with it.
      const end = lines.findIndex((l, j) => j > n && l.trim() === heredoc[2]);
      if (end < 0) throw new Error(`unterminated here-document ${heredoc[2]}`);
      out.push({ command: pending + lines.slice(n, end + 1).join("\n"), exit: 0 });
      pending = "";
      n = end;
      continue;
    }
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const full = pending + line;
    pending = "";
    const comment = /\s#\s*(.*)$/.exec(full);
    const exit = comment ? /^exit (\d+)/.exec(comment[1]) : null;
    out.push({ command: comment ? full.slice(0, comment.index) : full, exit: exit ? Number(exit[1]) : 0 });
  }
  return out;
}

/** A bash script that runs `commands` in order (cd carries over) and stops at the first wrong exit. */
export function shellScript(commands: { command: string; exit: number }[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return commands.map(({ command, exit }) => {
    const shown = command.trim().split("\n")[0];
    return `${command.trim()}\ns=$?; if [ $s -ne ${exit} ]; then echo "readme-test: "${quote(shown)}" exited $s, expected ${exit}" >&2; exit 99; fi`;
  }).join("\n") + "\n";
}
