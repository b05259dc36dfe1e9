// AssemblyScript's standard library under check: Array, Map, Set, StaticArray, Symbol, first-class
// functions (closures without captures, as AS has them), sort, filter, map, reduce, classes.
// Everything it allocates is the runtime's (GC): exit 0, no leak.
// expect: exit 0

class Point {
  constructor(public x: i32, public y: i32) {}
  get norm(): i32 { return abs(this.x) + abs(this.y); }
}

function byNorm(a: Point, b: Point): i32 { return a.norm - b.norm; }

export function main(): i32 {
  let points = new Array<Point>();
  for (let i = -5; i < 6; i++) points.push(new Point(i, i * i - 7));
  points.sort(byNorm);
  let far = points.filter((p: Point) => p.norm > 10);
  let norms = far.map<i32>((p: Point) => p.norm);
  let total = norms.reduce((acc: i32, n: i32) => acc + n, 0);

  let index = new Map<string, Point>();
  for (let i = 0; i < points.length; i++) index.set(`p${i}`, points[i]);
  let seen = new Set<i32>();
  let keys = index.keys();
  for (let i = 0; i < keys.length; i++) seen.add(index.get(keys[i]).norm);
  index.delete("p0");

  let fixed = new StaticArray<i64>(16);
  for (let i = 0; i < fixed.length; i++) fixed[i] = <i64>i * 1000000007;
  let grid = new Array<Array<i32>>();
  for (let r = 0; r < 8; r++) { let row = new Array<i32>(8).fill(r); grid.push(row); }
  grid.splice(2, 3);
  let flat = grid.flat();
  let reversed = flat.slice(0).reverse();

  let a = Symbol("a");
  let b = Symbol.for("b");
  let symbols = a != b && Symbol.for("b") == b ? 1 : 0;

  let ops: Array<(x: i32) => i32> = [(x: i32) => x + 1, (x: i32) => x * 2, (x: i32) => x - 3];
  let v = 5;
  for (let i = 0; i < ops.length; i++) v = ops[i](v);

  __collect();
  return total + seen.size + index.size + <i32>(fixed[15] % 1000) + reversed.length + symbols + v + flat.indexOf(7);
}
