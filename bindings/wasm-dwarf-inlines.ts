// The functions a C, C++ or Rust module built with -O2 -g inlined, from its .debug_info: at a code
// address, the chain of inlined calls it lies in, innermost first, each with its function's name and
// the line it was called from (as `addr2line -i -f` reads them). The line table (wasm-dwarf.ts)
// gives the innermost line only, and the wasm name section the outer function only: without this, a
// malloc in `make_node`, inlined into `main`, read "main (app.c:12:5)", line 12 being make_node's.
//
//   DW_TAG_subprogram            main        [0x0e, 0x78)          a root: the wasm function
//     DW_TAG_inlined_subroutine  pair        [0x34, 0x77)  called at app.c:34:20
//       DW_TAG_inlined_subroutine make_node  [0x34, 0x54)  called at app.c:23:23
//
// at 0x40: make_node (its line from the line table), pair (app.c:23:23), main (app.c:34:20).
// An inlined subroutine's name is its abstract origin's (DW_AT_abstract_origin, then
// DW_AT_specification): the source's DW_AT_name, for C, C++ and Rust alike (Rust's linkage names
// are mangled symbols with a hash; the file and line tell apart two functions of one name).
// DWARF versions 2 to 5, as the line table (5: -gdwarf-5; its strings, addresses and range lists
// by index, FormReader). Addresses count from the code section's payload, as the line table's.

import { type Abbrev, type Die, type DwarfSections, FormReader, type StringAt, stringAt, units } from "./wasm-dwarf-forms.js";
import { dwarfSections, lineFiles } from "./wasm-dwarf.js";
import type { SourcePosition } from "./wasm-sites.js";

/** One inlined call around an address: the inlined function's name and where it was called. */
export interface InlinedCall {
  name: string;
  call?: SourcePosition;
}

/** A function's code or an inlined call in it: its address ranges (start, end pairs). */
interface Scope {
  ranges: number[];
  /** The DIE naming it (its abstract origin); a root's is unused (the name section names it). */
  origin: number;
  call?: SourcePosition;
  children: Scope[];
}

/** Names of subprogram DIEs, by offset in .debug_info: DW_AT_name, and the DIE it comes from when
 *  it has none (abstract origin or specification). */
interface Named { name?: StringAt; from?: number }

/** The inlined calls of a module, or undefined when it has no .debug_info (built without -g). */
export function dwarfInlines(bytes: Uint8Array): InlinedCode | undefined {
  const dwarf = dwarfSections(bytes);
  if (!dwarf?.sections.has(".debug_info") || !dwarf.sections.has(".debug_abbrev")) return undefined;
  return new InlinedCode(dwarf.codeStart, dwarf.sections);
}

/** The inlined calls of a module's code, looked up by offset in the module. */
export class InlinedCode {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly roots: Scope[] = [];
  private readonly names = new Map<number, Named>();
  /** Every unit read, to decode a DIE its reading passed over (decode()). */
  private readonly units: { form: FormReader; table: Map<number, Abbrev> }[] = [];

  constructor(private readonly codeStart: number, private readonly sections: DwarfSections) {
    const roots: [start: number, end: number, root: Scope][] = [];
    for (const { form, table } of units(sections)) {
      this.units.push({ form, table });
      try {
        this.readUnit(form, table, roots);
      } catch (e) {
        // A line table header this reader cannot follow (lineFiles) ends its unit: the rest is kept.
        if (!(e instanceof RangeError)) throw e;
      }
    }
    roots.sort((x, y) => x[0] - y[0]);
    for (const [start, end, root] of roots) {
      this.starts.push(start);
      this.ends.push(end);
      this.roots.push(root);
    }
  }

  /** Reads the DIEs of one unit up to `unitEnd`: its functions' code as roots, the inlined calls in
   *  them as their children, and the names of its subprograms. */
  private readUnit(form: FormReader, table: Map<number, Abbrev>, roots: [start: number, end: number, root: Scope][]): void {
    const r = form.r, unitEnd = form.unitEnd;
    let files: string[] = [], base = 0;
    // Per open DIE with children: the scope its children's inlined calls belong to (or none).
    const open: (Scope | undefined)[] = [];
    const d: Die = {}; // one for every DIE (each field set below): its attributes are read into it and kept elsewhere
    while (r.pos < unitEnd) {
      const die = r.pos;
      const code = r.uleb();
      if (code === 0) { open.pop(); continue; }
      const a = table.get(code);
      if (!a) break; // an abbreviation the table lacks: the rest of the unit cannot be read
      const kept = a.tag === TAG_COMPILE_UNIT || a.tag === TAG_SUBPROGRAM || a.tag === TAG_INLINED_SUBROUTINE;
      if (!kept && a.size >= 0) {
        r.pos += a.size;
        if (a.children) open.push(open[open.length - 1]);
        continue;
      }
      d.name = d.compDir = d.origin = d.lowPc = d.highPc = d.ranges = d.stmtList = d.callFile = d.callLine = d.callColumn = undefined;
      d.strOffsetsBase = d.addrBase = d.rnglistsBase = undefined;
      d.compDirIndex = d.highPcIsAddress = d.lowPcIndex = d.highPcIndex = d.rangesIndex = false;
      // a form this reader does not know (a producer's extension) ends its unit: the rest is kept
      if (!form.readDie(a, d)) return;
      form.resolve(d, a.tag === TAG_COMPILE_UNIT);
      const enclosing = open[open.length - 1];
      let scope: Scope | undefined;
      if (a.tag === TAG_COMPILE_UNIT) {
        base = d.lowPc ?? 0;
        // A unit none of whose code the linker kept (most of Rust's std in a small program) holds no
        // frame: its DIEs are not read.
        if (!form.pcRanges(d, base).length) return;
        files = d.stmtList !== undefined ? lineFiles(this.sections, d.stmtList, d.compDir === undefined ? undefined : stringAt(this.sections, d.compDir)) : [];
      } else if (a.tag === TAG_SUBPROGRAM) {
        if (d.name !== undefined || d.origin !== undefined) this.names.set(die, { name: d.name, from: d.origin });
        const pcs = form.pcRanges(d, base);
        if (pcs.length) { // a function's code (none: a declaration, an abstract instance, dropped code)
          scope = { ranges: pcs, origin: die, children: [] };
          for (let i = 0; i < pcs.length; i += 2) roots.push([pcs[i], pcs[i + 1], scope]);
        }
      } else if (a.tag === TAG_INLINED_SUBROUTINE && enclosing && d.origin !== undefined) {
        const pcs = form.pcRanges(d, base);
        if (pcs.length) {
          const file = d.callFile === undefined ? undefined : files[d.callFile];
          const call = file && d.callLine ? { source: file, line: d.callLine, column: Math.max(d.callColumn ?? 1, 1) } : undefined;
          scope = { ranges: pcs, origin: d.origin, call, children: [] };
          enclosing.children.push(scope);
        }
      }
      if (a.children) open.push(scope ?? enclosing);
    }
  }

  /** The inlined calls the code at byte `offset` of the module lies in, innermost first (empty:
   *  none, the code is its wasm function's own). */
  at(offset: number): InlinedCall[] {
    const address = offset - this.codeStart;
    let lo = 0, hi = this.starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= address) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    const chain: InlinedCall[] = [];
    if (found < 0 || address >= this.ends[found]) return chain;
    for (let scope: Scope | undefined = this.roots[found]; scope;) {
      scope = scope.children.find((c) => contains(c.ranges, address));
      if (scope) chain.unshift({ name: this.nameOf(scope.origin) ?? "(inlined)", call: scope.call });
    }
    return chain;
  }

  /** DW_AT_name of a subprogram DIE, or of the DIEs it comes from. */
  private nameOf(die: number): string | undefined {
    for (let i = 0, d: number | undefined = die; i < 8 && d !== undefined; i++) {
      const named: Named | undefined = this.names.get(d) ?? this.decode(d);
      if (named?.name !== undefined) return stringAt(this.sections, named.name);
      d = named?.from;
    }
    return undefined;
  }

  /** The name of a DIE the units' reading did not keep: a unit none of whose code the linker kept
   *  is not read past its first DIE, and LTO inlines its functions into another unit's code, which
   *  names them by offset (DW_FORM_ref_addr): a make_node of util.c inlined into app.c's leak. */
  private decode(die: number): Named | undefined {
    const unit = this.units.find(({ form }) => form.unitStart <= die && die < form.unitEnd);
    if (!unit) return undefined;
    const form = unit.form.at(die);
    const a = unit.table.get(form.r.uleb());
    if (a?.tag !== TAG_SUBPROGRAM) return undefined;
    const d: Die = {};
    if (!form.readDie(a, d)) return undefined;
    const named = { name: d.name, from: d.origin };
    this.names.set(die, named);
    return named;
  }
}

const contains = (ranges: number[], address: number) => {
  for (let i = 0; i < ranges.length; i += 2) if (ranges[i] <= address && address < ranges[i + 1]) return true;
  return false;
};

const TAG_COMPILE_UNIT = 0x11, TAG_SUBPROGRAM = 0x2e, TAG_INLINED_SUBROUTINE = 0x1d;

