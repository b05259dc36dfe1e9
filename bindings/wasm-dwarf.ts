// A C, C++ or Rust module's DWARF line table (.debug_line, clang/rustc -g) as a wasm source map, so
// the frames of a module built with -g read "file.c:line:column" wherever an asc source map would
// (sites, backtraces, "trapped in"). Only the line table is read: DWARF versions 2 to 5 (4 is clang
// 14's and rustc's default for wasm; -gdwarf-5 gives 5); a unit of another version is skipped.
//
// Addresses in wasm DWARF are offsets from the start of the code section's payload; a source map's
// are offsets in the module:
//
//   module bytes  | header | ... | id 10 | size | payload: count, body, body, ... | ... | .debug_line |
//                                                ^ code section payload = DWARF address 0
//
// Each row of a line program becomes one segment at (payload start + address); the end of a
// sequence becomes a segment with no location (WasmSourceMap.locate answers undefined past it).

import { encodeVlq } from "./wasm-sites.js";
import { parseWasm } from "./wasm-reader.js";
import { isRustToolchainFolder } from "./rust-std.js";
import { Cursor, type Die, type DwarfSections, FormReader, stringAt, units } from "./wasm-dwarf-forms.js";

/** The source map of the module's .debug_line, or undefined when it has none (built without -g). */
export function dwarfSourceMap(bytes: Uint8Array): { sources: string[]; mappings: string } | undefined {
  const dwarf = dwarfSections(bytes);
  const line = dwarf?.sections.get(".debug_line");
  if (!dwarf || !line) return undefined;
  const rows = lineRows(line, dwarf.sections);
  return rows.length === 0 ? undefined : sourceMapOfRows(rows, dwarf.codeStart);
}

/** A module's DWARF sections by name (".debug_line", ".debug_info" ...), and where its code
 *  section's payload starts (DWARF address 0); undefined without code. */
export function dwarfSections(bytes: Uint8Array): { codeStart: number; sections: DwarfSections } | undefined {
  const { sections } = parseWasm(bytes);
  const code = sections.find((s) => s.id === 10);
  if (!code) return undefined;
  const found: DwarfSections = new Map();
  for (const s of sections) if (s.custom?.name.startsWith(".debug_")) found.set(s.custom.name, bytes.subarray(s.custom.contentStart, s.end));
  return { codeStart: code.bodyStart, sections: found };
}

/** The source map of line-table rows whose addresses count from `bodyStart` (the code section's
 *  payload). A row of line 0 ("no source line": compiler-made code, a merge of two lines) has no
 *  location, as an end of sequence: it must not read as the file's line 1. */
export function sourceMapOfRows(rows: Row[], bodyStart: number): { sources: string[]; mappings: string } {
  // One address can hold an end of sequence and the next sequence's first row: the end goes first.
  rows.sort((a, b) => a.address - b.address || (a.file < 0 ? 0 : 1) - (b.file < 0 ? 0 : 1));
  const sources: string[] = [];
  const sourceIndex = new Map<string, number>();
  const segments: string[] = [];
  let offset = 0, source = 0, line = 0, column = 0;
  for (const row of rows) {
    const at = bodyStart + row.address;
    if (row.file < 0 || row.line === 0) {
      segments.push(encodeVlq(at - offset));
    } else {
      let index = sourceIndex.get(row.path!);
      if (index === undefined) {
        index = sources.push(row.path!) - 1;
        sourceIndex.set(row.path!, index);
      }
      // source-map lines and columns count from 0; DWARF's from 1 (column 0: unknown)
      const l = Math.max(row.line - 1, 0), c = Math.max(row.column - 1, 0);
      segments.push(encodeVlq(at - offset) + encodeVlq(index - source) + encodeVlq(l - line) + encodeVlq(c - column));
      source = index; line = l; column = c;
    }
    offset = at;
  }
  return { sources, mappings: segments.join(",") };
}

/** One row of a line table (file -1: the end of a sequence). */
export interface Row { address: number; file: number; path?: string; line: number; column: number }

/** Runs every line program of a .debug_line section (strings of DWARF 5 headers in `sections`'
 *  .debug_line_str and .debug_str). */
function lineRows(section: Uint8Array, sections: DwarfSections): Row[] {
  const rows: Row[] = [];
  const folders = unitFolders(sections);
  const r = new Cursor(section, 0);
  while (r.pos + 4 <= section.length) {
    const unitStart = r.pos;
    const unitEnd = r.unitEnd();
    if (unitEnd < 0 || unitEnd > section.length) break;
    const version = r.u16();
    if (version < 2 || version > 5) {
      r.pos = unitEnd;
      continue;
    }
    let header: ReturnType<typeof lineHeader>;
    try {
      header = lineHeader(r, version, sections, folders.get(unitStart));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      r.pos = unitEnd; // a header form this reader does not know: the unit is skipped
      continue;
    }
    const { programStart, minInstructionLength, lineBase, lineRange, opcodeBase, standardLengths, directories, files } = header;
    const addFile = (name: string, dir: number) => files.push(filePath(directories, name, dir));
    r.pos = programStart;
    let address = 0, file = 1, line = 1, column = 0;
    const emit = () => rows.push({ address, file, path: files[file] ?? `file ${file}`, line, column });
    const reset = () => { address = 0; file = 1; line = 1; column = 0; };
    while (r.pos < unitEnd) {
      const op = r.u8();
      if (op >= opcodeBase) {
        const adjusted = op - opcodeBase;
        address += Math.floor(adjusted / lineRange) * minInstructionLength;
        line += lineBase + (adjusted % lineRange);
        emit();
      } else if (op === 0) {
        const length = r.uleb();
        const next = r.pos + length;
        const extended = r.u8();
        if (extended === 1) { // end_sequence
          rows.push({ address, file: -1, line: 0, column: 0 });
          reset();
        } else if (extended === 2) { // set_address (4 bytes on wasm32)
          address = length - 1 === 8 ? r.u32() + r.u32() * 2 ** 32 : r.u32();
        } else if (extended === 3) { // define_file
          const name = r.cstring();
          const dir = r.uleb();
          addFile(name, dir);
        }
        r.pos = next;
      } else if (op === 1) emit(); // copy
      else if (op === 2) address += r.uleb() * minInstructionLength; // advance_pc
      else if (op === 3) line += r.sleb(); // advance_line
      else if (op === 4) file = r.uleb(); // set_file
      else if (op === 5) column = r.uleb(); // set_column
      else if (op === 8) address += Math.floor((255 - opcodeBase) / lineRange) * minInstructionLength; // const_add_pc
      else if (op === 9) address += r.u16(); // fixed_advance_pc
      else for (let i = 0; i < (standardLengths[op] ?? 0); i++) r.uleb(); // negate_stmt, basic_block, ...: no operand kept
    }
    r.pos = unitEnd;
  }
  // A sequence at address 0 is code the linker dropped (its address relocated to 0 or -1): no row of it is kept.
  return dropDiscarded(rows);
}

/** wasm-ld relocates the line programs of functions it removed (--gc-sections) to address 0 or
 *  0xffffffff; their rows would cover the real code at the start of the section. */
function dropDiscarded(rows: Row[]): Row[] {
  const kept: Row[] = [];
  let sequence: Row[] = [];
  for (const row of rows) {
    sequence.push(row);
    if (row.file >= 0) continue;
    const first = sequence[0].address;
    if (first !== 0 && first < 0xfffffff0) kept.push(...sequence);
    sequence = [];
  }
  return kept;
}

/** The header of a line program of `version` (2 to 5), read from past its version on: its
 *  opcodes' settings and its file table, as the program's file numbers index it (versions 2 to 4
 *  count from 1: index 0 unused; 5 from 0). */
function lineHeader(r: Cursor, version: number, sections: DwarfSections, compDir?: string) {
  const addressSize = version >= 5 ? r.u8() : 4;
  if (version >= 5) r.u8(); // segment selector size
  const headerLength = r.u32();
  const programStart = r.pos + headerLength;
  const minInstructionLength = r.u8();
  if (version >= 4) r.u8(); // maximum operations per instruction: 1 outside VLIW
  r.u8(); // default_is_stmt
  const lineBase = (r.u8() << 24) >> 24;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const standardLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(r.u8());
  if (version >= 5) {
    const found = entries(r, sections, addressSize);
    const root = toolchainRoot(compDir ?? found[0]?.path); // directory 0 is the unit's own folder
    const directories = found.map((e, i) => (i === 0 ? root : inFolder(root, e.path)));
    const files = entries(r, sections, addressSize).map((e) => filePath(directories, e.path, e.directory));
    return { programStart, minInstructionLength, lineBase, lineRange, opcodeBase, standardLengths, directories, files };
  }
  const root = toolchainRoot(compDir);
  const directories = [root]; // 0: the unit's own folder
  for (let d = r.cstring(); d; d = r.cstring()) directories.push(inFolder(root, d));
  const files = [""];
  for (let f = r.cstring(); f; f = r.cstring()) {
    const dir = r.uleb();
    r.uleb(); r.uleb(); // modification time, length
    files.push(filePath(directories, f, dir));
  }
  return { programStart, minInstructionLength, lineBase, lineRange, opcodeBase, standardLengths, directories, files };
}

/** A DWARF 5 line header's directory or file table: a format (content type, form pairs), a count,
 *  then each entry's fields in that format, read by their forms as .debug_info's are. Only the path
 *  and the directory index are kept. */
function entries(r: Cursor, sections: DwarfSections, addressSize: number): { path: string; directory: number }[] {
  const format: number[] = [];
  for (let n = r.u8(); n > 0; n--) format.push(r.uleb(), r.uleb());
  const out: { path: string; directory: number }[] = [];
  const count = r.uleb();
  // Each field takes a byte at least: a count larger than the bytes left, or entries of no fields
  // (which would read nothing, 2^32 times), is a corrupt header.
  if (count > 0 && (format.length === 0 || count > r.left())) throw new RangeError("a line table header's entry count past its bytes");
  const form = new FormReader(r, 0, r.pos + r.left(), 5, addressSize, sections);
  for (let n = count; n > 0; n--) {
    if (r.left() <= 0) throw new RangeError("a line table header past the end of .debug_line"); // a count no entries follow
    const entry = { path: "", directory: 0 };
    for (let i = 0; i < format.length; i += 2) {
      const [type, f] = [format[i], format[i + 1]];
      const value = form.value(f, 0);
      if (type === 1) { // DW_LNCT_path: in the header (string), .debug_line_str (line_strp) or .debug_str (strp)
        const strings = f === 0x1f ? sections.get(".debug_line_str") : f === 0x0e ? sections.get(".debug_str") : undefined;
        if (value !== undefined) entry.path = f === 0x08 ? r.at(-1 - value).cstring() : strings ? new Cursor(strings, value).cstring() : "";
      } else if (type === 2) entry.directory = value ?? 0; // DW_LNCT_directory_index
    }
    out.push(entry);
  }
  return out;
}

/** The file table of the line program at `offset` of .debug_line (a unit's DW_AT_stmt_list: its
 *  DW_AT_call_file numbers index it), empty for a version this reader skips. */
export function lineFiles(sections: DwarfSections, offset: number, compDir?: string): string[] {
  const section = sections.get(".debug_line");
  if (!section || offset + 10 > section.length) return [];
  const r = new Cursor(section, offset);
  if (r.unitEnd() < 0) return [];
  const version = r.u16();
  return version < 2 || version > 5 ? [] : lineHeader(r, version, sections, compDir).files;
}

/**
 * A unit's folder (DW_AT_comp_dir), when it is a Rust toolchain's source tree (rustup's /rustc/<commit>,
 * Debian's /usr/src/rustc-<version> and its vendor/ crates), else "". A precompiled std's line tables
 * name their files from there ("library/alloc/src/raw_vec.rs"), where the user's crate names std's
 * files in full ("/usr/src/rustc-1.63.0/library/alloc/src/raw_vec.rs"): joined, both read the same
 * and are told as std's. Another unit's relative paths (the user's "app.c") stay as written.
 */
const toolchainRoot = (compDir: string | undefined) =>
  compDir && isRustToolchainFolder(compDir) ? compDir.replace(/\/$/, "") : "";

/** A path from a folder ("": as written). */
const inFolder = (folder: string, path: string) => (!folder || !path || path.startsWith("/") ? path : `${folder}/${path}`);

/** The folder of each compile unit of .debug_info (DW_AT_comp_dir), by its line table's offset in
 *  .debug_line (DW_AT_stmt_list): versions 2 to 4 name it nowhere else. */
function unitFolders(sections: DwarfSections): Map<number, string> {
  const folders = new Map<number, string>();
  for (const { form, table } of units(sections)) {
    const a = table.get(form.r.uleb());
    if (a?.tag !== 0x11) continue; // DW_TAG_compile_unit
    const d: Die = {};
    if (!form.readDie(a, d)) continue; // a form this reader does not know: no folder
    form.resolve(d, true);
    const folder = d.compDir === undefined ? undefined : stringAt(sections, d.compDir);
    if (d.stmtList !== undefined && folder) folders.set(d.stmtList, folder);
  }
  return folders;
}

/** A file of a line program's table: its name in its directory (none, or the unit's: the name alone). */
const filePath = (directories: string[], name: string, dir: number) => inFolder(directories[dir] ?? "", name);

