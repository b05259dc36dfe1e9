// === rcalloc.hpp: an intrusive-style shared pointer for C++ on rcalloc handles ===
//
// rcalloc::Rc<T> owns one reference (an rc_handle) to a T living in an rcalloc object: copying
// takes a new reference (get), destruction gives it back (put) and runs ~T() on the last one.
// Works without the C++ library (Debian ships none for wasm32) and without exceptions:
//
//   clang++ --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -fno-exceptions \
//     -fno-rtti -nostdlib++ -I node_modules/rcalloc/include -Wl,--import-memory \
//     -Wl,--global-base=65536 -Wl,--export=__heap_base app.cpp -o app.wasm
//
// Sites: RC_MAKE(T, args...) and share(RC_SITE()) record the C++ line; copies and destructors
// pass site 0, so `rcalloc check` names them by the wasm call stack (function names). In the
// checked build each copy is a distinct handle: compare objects with get(), not handles.
#ifndef RCALLOC_HPP
#define RCALLOC_HPP

#include "rcalloc.h"

#if __has_include(<new>)
#include <new>
#else
// Placement new, which <new> would declare (no C++ library for wasm32 on Debian).
inline void *operator new(size_t, void *at) noexcept { return at; }
#endif

namespace rcalloc {

template <class T> class Rc {
 public:
  Rc() = default;
  Rc(const Rc &other) : handle_(other.handle_ ? rcalloc_getAt(other.handle_, 0) : 0) {}
  Rc(Rc &&other) noexcept : handle_(other.handle_) { other.handle_ = 0; }
  Rc &operator=(Rc other) noexcept {
    rc_handle h = handle_;
    handle_ = other.handle_;
    other.handle_ = h;
    return *this;
  }
  ~Rc() { reset(0); }

  /** A new T(args...) in a new object, one reference held by the result, taken at `site`. */
  template <class... Args> static Rc make(rc_site site, Args... args) {
    Rc r;
    r.handle_ = rcalloc_allocAt(sizeof(T), site);
    new (rcalloc_ptr(r.handle_)) T(args...);
    return r;
  }

  /** Takes over a reference released by release() (the count does not change). */
  static Rc adopt(rc_handle h) {
    Rc r;
    r.handle_ = h;
    return r;
  }

  /** Another reference to the same T, taken at `site`. */
  Rc share(rc_site site) const { return adopt(rcalloc_getAt(handle_, site)); }

  /** Hands the reference out as a raw handle (for C APIs): adopt() it back or rc_put() it once. */
  rc_handle release() {
    rc_handle h = handle_;
    handle_ = 0;
    return h;
  }

  /** Gives the reference back (at `site`), destroying the T with its last reference. */
  void reset(rc_site site) {
    if (!handle_) return;
    rc_handle h = handle_;
    handle_ = 0;
    if (rcalloc_refs(h) == 1) get(h)->~T();
    rcalloc_putAt(h, site);
  }

  T *get() const { return handle_ ? get(handle_) : nullptr; }
  T *operator->() const { return get(); }
  T &operator*() const { return *get(); }
  explicit operator bool() const { return handle_ != 0; }
  uint32_t use_count() const { return handle_ ? rcalloc_refs(handle_) : 0; }

 private:
  static T *get(rc_handle h) { return static_cast<T *>(rcalloc_ptr(h)); }
  rc_handle handle_ = 0;
};

}  // namespace rcalloc

/** rcalloc::Rc<T>::make with the line it is written on as the site. */
#define RC_MAKE(T, ...) ::rcalloc::Rc<T>::make(RC_SITE(), ##__VA_ARGS__)

#endif  // RCALLOC_HPP
