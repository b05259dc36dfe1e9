// An ordinary AssemblyScript program (classes, strings, arrays, a Map) whose every allocation
// goes through rcalloc: built with --runtime rcalloc/runtime/rcalloc, it has no heap of its own.
// AssemblyScript's collector still decides when objects die (runtime/rcalloc.ts).

class Person {
  constructor(public name: string, public age: i32, public tags: string[] = []) {}
  describe(): string {
    return `${this.name} (${this.age})` + (this.tags.length ? ": " + this.tags.join(", ") : "");
  }
}

const people = new Array<Person>();
const byName = new Map<string, Person>();

export function addPerson(name: string, age: i32): i32 {
  let person = new Person(name, age);
  people.push(person);
  byName.set(name, person);
  return people.length;
}

export function tag(name: string, label: string): bool {
  if (!byName.has(name)) return false;
  byName.get(name).tags.push(label);
  return true;
}

export function describeAll(): string {
  let lines = new Array<string>();
  for (let i = 0; i < people.length; i++) lines.push(people[i].describe());
  return lines.join("\n");
}

/** Builds and drops `n` throwaway strings and arrays: garbage for the collector. */
export function churn(n: i32): i32 {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let words = ("item " + i.toString() + " of " + n.toString()).split(" ");
    let numbers = new Array<f64>(i & 15);
    for (let j = 0; j < numbers.length; j++) numbers[j] = j * 0.5;
    total += words.length + numbers.length + words[1].length;
  }
  return total;
}

export function oldest(): string {
  let best: Person | null = null;
  for (let i = 0; i < people.length; i++) if (!best || people[i].age > best.age) best = people[i];
  return best ? best.name : "";
}

export function forget(name: string): bool {
  if (!byName.has(name)) return false;
  let person = byName.get(name);
  byName.delete(name);
  people.splice(people.indexOf(person), 1);
  return true;
}

/** The name of person `i`: out of range aborts (AssemblyScript's bounds check). */
export function nameAt(i: i32): string {
  return people[i].name;
}

/** Unmanaged memory (heap.alloc / realloc / free): the runtime's __alloc, __realloc, __free. */
export function rawBuffer(n: i32): u32 {
  let p = heap.alloc(16);
  for (let i = 0; i < 16; i++) store<u8>(p + i, <u8>i);
  p = heap.realloc(p, <usize>n);
  for (let i = 16; i < n; i++) store<u8>(p + i, <u8>i);
  let sum: u32 = 0;
  for (let i = 0; i < n; i++) sum += load<u8>(p + i);
  heap.free(p);
  return sum;
}

/** A `heap.alloc` block never freed: a leak, reported with this function as its site. */
export function leakBuffer(n: i32): usize {
  let p = heap.alloc(<usize>n);
  memory.fill(p, 7, <usize>n);
  return p;
}

/** Frees an unmanaged block twice: the checked build throws DOUBLE_PUT at the second free. */
export function freeTwice(): void {
  let p = heap.alloc(32);
  heap.free(p);
  heap.free(p);
}

/** `n` small objects alive at once in one array (a handle each would not scale; raw blocks do). */
export function manyObjects(n: i32): i32 {
  let all = new Array<Person>(n);
  for (let i = 0; i < n; i++) all[i] = new Person("", i);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += all[i].age & 1;
  return sum;
}
