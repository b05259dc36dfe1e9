// Rust with std, its heap (Box, Vec, String) on rcalloc's malloc through
// `#[global_allocator] static HEAP: rcalloc::Malloc` (include/rcalloc.rs), with two seeded bugs:
//
//   run_clean        strings in a Vec, a boxed array: exit 0
//   run_leak         a Box::leak'd Vec: exit 1, its blocks reported with the Rust functions that
//                    allocated them (std's allocator API carries no source line)
//   run_double_free  one Box rebuilt twice from a raw pointer: exit 2 (DOUBLE_PUT)
#[path = "../node_modules/rcalloc/include/rcalloc.rs"]
mod rcalloc;

#[global_allocator]
static HEAP: rcalloc::Malloc = rcalloc::Malloc;

#[no_mangle]
pub extern "C" fn run_clean() -> u32 {
    let mut words: Vec<String> = Vec::new();
    for i in 0..100 {
        words.push(format!("word {}", i));
    }
    let boxed = Box::new([7u8; 100]);
    words.iter().map(|w| w.len() as u32).sum::<u32>() + boxed[3] as u32
}

#[no_mangle]
pub extern "C" fn run_leak() -> u32 {
    let kept: &'static mut Vec<u32> = Box::leak(Box::new(vec![1, 2, 3])); // seeded leak: never freed
    kept.len() as u32
}

#[no_mangle]
pub extern "C" fn run_double_free() -> u32 {
    let raw = Box::into_raw(Box::new(42u32));
    let first = unsafe { Box::from_raw(raw) };
    let value = *first;
    drop(first);
    let second = unsafe { Box::from_raw(raw) }; // seeded double free: dropped again below
    drop(second);
    value
}
