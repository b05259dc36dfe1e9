// A JSON workload on a real npm library (assemblyscript-json), as an ordinary AssemblyScript
// program with no allocator calls of its own (bench/as-programs.js builds it for every runtime):
// a document of `records` objects (strings, integers, floats, booleans, nested arrays) is
// encoded with JSONEncoder, parsed back into the library's value tree with JSON.parse, walked,
// and the parsed tree encoded again. Every run starts from nothing and leaves garbage only.
//
// run(records): returns a checksum of the result (the same on every runtime).
import { JSON, JSONEncoder } from "assemblyscript-json/assembly/index";

let seed: u32 = 1;
function random(): u32 {
  seed = seed * 1664525 + 1013904223;
  return seed >>> 8;
}

const WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];

function text(): string {
  let s = WORDS[<i32>(random() % <u32>WORDS.length)];
  return random() % 3 == 0 ? s + "-" + (random() % 1000).toString() : s;
}

function document(records: i32): string {
  let e = new JSONEncoder();
  e.pushObject(null);
  e.setString("name", "bench");
  e.pushArray("records");
  for (let i = 0; i < records; i++) {
    e.pushObject(null);
    e.setInteger("id", i);
    e.setString("label", text());
    e.setBoolean("active", random() % 2 == 0);
    e.setFloat("score", <f64>(random() % 10000) / 100.0);
    e.pushArray("tags");
    let n = random() % 5;
    for (let j: u32 = 0; j < n; j++) e.setString(null, text());
    e.popArray();
    e.popObject();
  }
  e.popArray();
  e.popObject();
  return e.toString();
}

function encode(e: JSONEncoder, name: string | null, value: JSON.Value): void {
  if (value.isObj) {
    let o = <JSON.Obj>value;
    e.pushObject(name);
    let keys = o.keys;
    for (let i = 0; i < keys.length; i++) encode(e, keys[i], <JSON.Value>o.get(keys[i]));
    e.popObject();
  } else if (value.isArr) {
    let a = (<JSON.Arr>value).valueOf();
    e.pushArray(name);
    for (let i = 0; i < a.length; i++) encode(e, null, a[i]);
    e.popArray();
  } else if (value.isString) e.setString(name, (<JSON.Str>value).valueOf());
  else if (value.isInteger) e.setInteger(name, (<JSON.Integer>value).valueOf());
  else if (value.isFloat) e.setFloat(name, (<JSON.Float>value).valueOf());
  else if (value.isBool) e.setBoolean(name, (<JSON.Bool>value).valueOf());
  else e.setNull(name);
}

export function run(records: i32): u32 {
  seed = 1;
  let source = document(records);
  let root = <JSON.Obj>JSON.parse(source);
  let list = (<JSON.Arr>root.getArr("records")).valueOf();
  let sum: u32 = <u32>list.length;
  for (let i = 0; i < list.length; i++) {
    let r = <JSON.Obj>list[i];
    sum = sum * 31 + <u32>(<JSON.Integer>r.getInteger("id")).valueOf();
    sum = sum * 31 + <u32>(<JSON.Str>r.getString("label")).valueOf().length;
    sum = sum * 31 + <u32>(<JSON.Arr>r.getArr("tags")).valueOf().length;
  }
  let again = new JSONEncoder();
  encode(again, null, root);
  return sum * 31 + <u32>again.toString().length + <u32>source.length;
}
