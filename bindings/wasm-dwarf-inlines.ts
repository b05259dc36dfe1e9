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

import { Cursor, type DwarfSections, dwarfSections, lineFiles } from "./wasm-dwarf.js";
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

/** A string kept where it lies, read when asked for: >= 0 an offset in .debug_str, < 0 -(1 +
 *  offset) of an inline string in .debug_info. */
type StringAt = number;

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
  private readonly info: Uint8Array;
  private readonly str?: Uint8Array;

  constructor(private readonly codeStart: number, private readonly sections: DwarfSections) {
    const info = this.info = sections.get(".debug_info")!;
    const abbrev = sections.get(".debug_abbrev")!;
    this.str = sections.get(".debug_str");
    const roots: [start: number, end: number, root: Scope][] = [];
    const abbrevs = new Map<string, Map<number, Abbrev>>();
    const r = new Cursor(info, 0);
    while (r.pos + 11 <= info.length) {
      const unitStart = r.pos;
      const unitLength = r.u32();
      if (unitLength >= 0xfffffff0) break; // 64-bit DWARF: not produced for wasm32
      const unitEnd = r.pos + unitLength;
      const version = r.u16();
      //   version 2-4: abbrev offset (4), address size (1)
      //   version 5:   unit type (1), address size (1), abbrev offset (4): a compile or partial unit
      let unitType = 1, addressSize: number, abbrevOffset: number;
      if (version >= 5) {
        unitType = r.u8();
        addressSize = r.u8();
        abbrevOffset = r.u32();
      } else {
        abbrevOffset = r.u32();
        addressSize = r.u8();
      }
      if (unitEnd > info.length || version < 2 || version > 5 || (unitType !== 1 && unitType !== 3)) {
        r.pos = unitEnd;
        continue;
      }
      const key = `${abbrevOffset}:${version}:${addressSize}`;
      let table = abbrevs.get(key);
      if (!table) abbrevs.set(key, table = abbrevTable(abbrev, abbrevOffset, version, addressSize));
      try {
        this.readUnit(new FormReader(r, unitStart, unitEnd, version, addressSize, sections), table, roots);
      } catch (e) {
        // A form this reader does not know (a producer's extension) ends its unit: the rest is kept.
        if (!(e instanceof RangeError)) throw e;
      }
      r.pos = unitEnd;
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
      d.name = d.origin = d.lowPc = d.highPc = d.ranges = d.stmtList = d.callFile = d.callLine = d.callColumn = undefined;
      d.strOffsetsBase = d.addrBase = d.rnglistsBase = undefined;
      d.highPcIsAddress = d.lowPcIndex = d.highPcIndex = d.rangesIndex = false;
      for (let i = 0; i < a.attributes.length; i += 3) form.read(a.attributes[i], a.attributes[i + 1], a.attributes[i + 2], d);
      form.resolve(d, a.tag === TAG_COMPILE_UNIT);
      const enclosing = open[open.length - 1];
      let scope: Scope | undefined;
      if (a.tag === TAG_COMPILE_UNIT) {
        base = d.lowPc ?? 0;
        // A unit none of whose code the linker kept (most of Rust's std in a small program) holds no
        // frame: its DIEs are not read.
        if (!form.pcRanges(d, base).length) return;
        files = d.stmtList !== undefined ? lineFiles(this.sections, d.stmtList) : [];
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
      const named = this.names.get(d);
      if (named?.name !== undefined) return this.string(named.name);
      d = named?.from;
    }
    return undefined;
  }

  private string(at: StringAt): string | undefined {
    const bytes = at < 0 ? this.info : this.str;
    if (!bytes) return undefined;
    return new Cursor(bytes, at < 0 ? -1 - at : at).cstring();
  }
}

const contains = (ranges: number[], address: number) => {
  for (let i = 0; i < ranges.length; i += 2) if (ranges[i] <= address && address < ranges[i + 1]) return true;
  return false;
};

const TAG_COMPILE_UNIT = 0x11, TAG_SUBPROGRAM = 0x2e, TAG_INLINED_SUBROUTINE = 0x1d;

/** An abbreviation: its tag, whether its DIEs have children, and (attribute, form, implicit
 *  constant) triples. */
interface Abbrev {
  tag: number;
  children: boolean;
  attributes: number[];
  /** Bytes of a DIE's attributes when every form has a fixed size, else -1: a DIE of a tag this
   *  reader keeps nothing of (a variable, a type ...: most of them) is then stepped over at once. */
  size: number;
}

/** The abbreviation table at `offset` of .debug_abbrev, for units of `version` and `addressSize`. */
function abbrevTable(section: Uint8Array, offset: number, version: number, addressSize: number): Map<number, Abbrev> {
  const table = new Map<number, Abbrev>();
  const r = new Cursor(section, offset);
  while (r.pos < section.length) {
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const children = r.u8() === 1;
    const attributes: number[] = [];
    let size = 0;
    for (;;) {
      const name = r.uleb(), form = r.uleb();
      if (name === 0 && form === 0) break;
      attributes.push(name, form, form === FORM_IMPLICIT_CONST ? r.sleb() : 0);
      const bytes = form === 0x01 || (form === 0x10 && version <= 2) ? addressSize : FORM_SIZES[form] ?? -1;
      size = size < 0 || bytes < 0 ? -1 : size + bytes;
    }
    table.set(code, { tag, children, attributes, size });
  }
  return table;
}

/** The attributes of a DIE this reader keeps. */
interface Die {
  name?: StringAt;
  origin?: number;
  lowPc?: number;
  highPc?: number;
  highPcIsAddress?: boolean;
  ranges?: number;
  stmtList?: number;
  callFile?: number;
  callLine?: number;
  callColumn?: number;
  /** DWARF 5: low_pc, high_pc and ranges given as indexes (addrx, rnglistx), resolved once the
   *  unit's bases are known (resolve()), and the unit's bases, on its compile unit DIE. */
  lowPcIndex?: boolean;
  highPcIndex?: boolean;
  rangesIndex?: boolean;
  strOffsetsBase?: number;
  addrBase?: number;
  rnglistsBase?: number;
}

const FORM_IMPLICIT_CONST = 0x21;
/** Sizes of the forms of a fixed size (addr and a version 2 ref_addr: the unit's address size). */
const FORM_SIZES: Record<number, number> = {
  0x0b: 1, 0x11: 1, 0x0c: 1, 0x05: 2, 0x12: 2, 0x06: 4, 0x13: 4, 0x17: 4, 0x0e: 4, 0x1c: 4, 0x1d: 4, 0x1f: 4, 0x10: 4,
  0x07: 8, 0x14: 8, 0x20: 8, 0x24: 8, 0x19: 0, 0x21: 0, 0x1e: 16,
  0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x29: 1, 0x2a: 2, 0x2b: 3, 0x2c: 4, // strx1-4, addrx1-4
};
const AT = {
  name: 0x03, stmtList: 0x10, lowPc: 0x11, highPc: 0x12, origin: 0x31, specification: 0x47, ranges: 0x55, callColumn: 0x57,
  callFile: 0x58, callLine: 0x59, strOffsetsBase: 0x72, addrBase: 0x73, rnglistsBase: 0x74,
};

/** Reads (or skips) one attribute's value by its form, keeping those of Die, and resolves a DIE's
 *  code ranges, in one unit. DWARF 5 gives strings, addresses and range lists as indexes into
 *  tables of their own, from the unit's bases:
 *
 *   .debug_str_offsets  [str_offsets_base + 4 i]   -> offset in .debug_str
 *   .debug_addr         [addr_base + size i]       -> address
 *   .debug_rnglists     [rnglists_base + 4 i]      -> offset of a list, from rnglists_base
 */
class FormReader {
  private strOffsetsBase = 8;
  private addrBase = 8;
  private rnglistsBase = 12;

  constructor(readonly r: Cursor, private readonly unitStart: number, readonly unitEnd: number, private readonly version: number,
    private readonly addressSize: number, private readonly sections: DwarfSections) {}

  read(attribute: number, form: number, implicit: number, d: Die): void {
    const r = this.r;
    let value: number | undefined;
    switch (form) {
      case 0x01: value = this.address(); break; // addr
      case 0x0b: case 0x11: case 0x25: case 0x29: value = r.u8(); break; // data1, ref1, strx1, addrx1
      case 0x05: case 0x12: case 0x26: case 0x2a: value = r.u16(); break; // data2, ref2, strx2, addrx2
      case 0x27: case 0x2b: value = r.u16() | (r.u8() << 16); break; // strx3, addrx3
      case 0x06: case 0x13: case 0x17: case 0x0e: case 0x1c: case 0x1d: case 0x1f: case 0x28: case 0x2c:
        value = r.u32(); break; // data4, ref4, sec_offset, strp, ref_sup4, strp_sup, line_strp, strx4, addrx4
      case 0x07: case 0x14: case 0x20: case 0x24: value = r.u32() + r.u32() * 2 ** 32; break; // data8, ref8, ref_sig8, ref_sup8
      case 0x0d: value = r.sleb(); break; // sdata
      case 0x0f: case 0x15: case 0x1a: case 0x1b: case 0x22: case 0x23: value = r.uleb(); break; // udata, ref_udata, strx, addrx, loclistx, rnglistx
      case 0x10: value = this.version <= 2 ? this.address() : r.u32(); break; // ref_addr
      case 0x0c: value = r.u8(); break; // flag
      case 0x19: value = 1; break; // flag_present
      case 0x21: value = implicit; break;
      case 0x08: { // string
        const at = r.pos;
        while (r.pos < this.unitEnd && r.u8() !== 0) { /* to the NUL */ }
        if (attribute === AT.name) d.name = -1 - at;
        return;
      }
      // a block's length is read before its start is known (`r.pos += r.u16()` would add to the old pos)
      case 0x03: { const n = r.u16(); r.pos += n; return; } // block2
      case 0x04: { const n = r.u32(); r.pos += n; return; } // block4
      case 0x09: case 0x18: { const n = r.uleb(); r.pos += n; return; } // block, exprloc
      case 0x0a: { const n = r.u8(); r.pos += n; return; } // block1
      case 0x1e: r.pos += 16; return; // data16
      case 0x16: this.read(attribute, r.uleb(), implicit, d); return; // indirect
      default:
        throw new RangeError(`DWARF form 0x${form.toString(16)} in a version ${this.version} unit`);
    }
    const addressIndex = form === 0x1b || (form >= 0x29 && form <= 0x2c);
    switch (attribute) {
      case AT.name:
        if (form === 0x0e) d.name = value;
        else if (form === 0x1a || (form >= 0x25 && form <= 0x28)) d.name = this.stringOffset(value); // the unit's base is known: its DIE came first
        break;
      case AT.origin: case AT.specification: d.origin = form === 0x10 ? value : this.unitStart + value; break;
      case AT.lowPc: d.lowPc = value; d.lowPcIndex = addressIndex; break;
      case AT.highPc: d.highPc = value; d.highPcIsAddress = form === 0x01 || addressIndex; d.highPcIndex = addressIndex; break;
      case AT.ranges: d.ranges = value; d.rangesIndex = form === 0x23; break;
      case AT.stmtList: d.stmtList = value; break;
      case AT.callFile: d.callFile = value; break;
      case AT.callLine: d.callLine = value; break;
      case AT.callColumn: d.callColumn = value; break;
      case AT.strOffsetsBase: d.strOffsetsBase = value; break;
      case AT.addrBase: d.addrBase = value; break;
      case AT.rnglistsBase: d.rnglistsBase = value; break;
    }
  }

  /** Takes the unit's bases from its compile unit DIE, then turns a DIE's address and range list
   *  indexes into addresses and offsets. */
  resolve(d: Die, unit: boolean): void {
    if (unit) {
      this.strOffsetsBase = d.strOffsetsBase ?? this.strOffsetsBase;
      this.addrBase = d.addrBase ?? this.addrBase;
      this.rnglistsBase = d.rnglistsBase ?? this.rnglistsBase;
    }
    if (d.lowPcIndex && d.lowPc !== undefined) d.lowPc = this.indexedAddress(d.lowPc);
    if (d.highPcIndex && d.highPc !== undefined) d.highPc = this.indexedAddress(d.highPc);
    if (d.rangesIndex && d.ranges !== undefined) {
      const offsets = this.sections.get(".debug_rnglists");
      d.ranges = offsets ? this.rnglistsBase + new Cursor(offsets, this.rnglistsBase + 4 * d.ranges).u32() : undefined;
    }
  }

  /** A DIE's code ranges, flat (start, end, ...): low_pc and high_pc, or its DW_AT_ranges list
   *  (.debug_ranges up to version 4, .debug_rnglists in 5). wasm-ld points code it dropped at
   *  address 0 or a tombstone (-1, -2): none. */
  pcRanges(d: Die, base: number): number[] {
    const out: number[] = [];
    const add = (start: number, end: number) => {
      if (start > 0 && start < 0xfffffff0 && end > start) out.push(start, end);
    };
    if (d.lowPc !== undefined && d.highPc !== undefined) add(d.lowPc, d.highPcIsAddress ? d.highPc : d.lowPc + d.highPc);
    else if (d.ranges !== undefined && this.version <= 4) {
      //   .debug_ranges: (start, end) pairs from the unit's base, until (0, 0); (-1, b): base b
      const ranges = this.sections.get(".debug_ranges");
      const r = new Cursor(ranges ?? new Uint8Array(), d.ranges);
      while (ranges && r.pos + 8 <= ranges.length) {
        const start = r.u32(), end = r.u32();
        if (start === 0 && end === 0) break;
        if (start === 0xffffffff) base = end;
        else add(base + start, base + end);
      }
    } else if (d.ranges !== undefined) {
      //   .debug_rnglists: entries of a kind byte, until end_of_list (0)
      const lists = this.sections.get(".debug_rnglists");
      const r = new Cursor(lists ?? new Uint8Array(), d.ranges);
      while (lists && r.pos < lists.length) {
        const kind = r.u8();
        if (kind === 0) break; // end_of_list
        if (kind === 1) base = this.indexedAddress(r.uleb()); // base_addressx
        else if (kind === 2) { const s = this.indexedAddress(r.uleb()); add(s, this.indexedAddress(r.uleb())); } // startx_endx
        else if (kind === 3) { const s = this.indexedAddress(r.uleb()); add(s, s + r.uleb()); } // startx_length
        else if (kind === 4) { const s = r.uleb(); add(base + s, base + r.uleb()); } // offset_pair
        else if (kind === 5) base = this.address(); // base_address
        else if (kind === 6) { const s = this.address(); add(s, this.address()); } // start_end
        else if (kind === 7) { const s = this.address(); add(s, s + r.uleb()); } // start_length
        else break;
      }
    }
    return out;
  }

  private stringOffset(index: number): number | undefined {
    const offsets = this.sections.get(".debug_str_offsets");
    return offsets ? new Cursor(offsets, this.strOffsetsBase + 4 * index).u32() : undefined;
  }

  private indexedAddress(index: number): number {
    const addresses = this.sections.get(".debug_addr");
    if (!addresses) return 0;
    const r = new Cursor(addresses, this.addrBase + this.addressSize * index);
    return this.addressSize === 8 ? r.u32() + r.u32() * 2 ** 32 : r.u32();
  }

  private address(): number {
    return this.addressSize === 8 ? this.r.u32() + this.r.u32() * 2 ** 32 : this.r.u32();
  }
}
