// Persistent linked lists in C++ sharing their tails through rcalloc::Rc (include/rcalloc.hpp),
// with two seeded bugs for `rcalloc check` (README "From C / C++"):
//
//   run_clean         two lists sharing a tail, dropped by scope: exit 0
//   run_leak          a node released to a raw handle that nobody adopts back: exit 1
//   run_double_adopt  one released handle adopted twice, so two Rc's put one reference: exit 2
#include "rcalloc.hpp"

using rcalloc::Rc;

struct Node {
  int value;
  Rc<Node> next;
  Node(int v, Rc<Node> n) : value(v), next(static_cast<Rc<Node> &&>(n)) {}
};

static int sum(const Rc<Node> &list) {
  int total = 0;
  for (Node *n = list.get(); n; n = n->next.get()) total += n->value;
  return total;
}

/** 1 -> 2 -> 3, then two heads sharing it: 10 -> (1 2 3) and 20 -> (1 2 3). */
static Rc<Node> numbers() {
  Rc<Node> three = RC_MAKE(Node, 3, Rc<Node>());
  Rc<Node> two = RC_MAKE(Node, 2, three);
  return RC_MAKE(Node, 1, two);
}

extern "C" __attribute__((export_name("run_clean"))) int run_clean() {
  Rc<Node> tail = numbers();
  Rc<Node> a = RC_MAKE(Node, 10, tail);
  Rc<Node> b = RC_MAKE(Node, 20, tail);
  return sum(a) + sum(b);
}

extern "C" __attribute__((export_name("run_leak"))) int run_leak() {
  Rc<Node> tail = numbers();
  Rc<Node> a = RC_MAKE(Node, 10, tail);
  rc_handle raw = a.share(RC_SITE()).release(); // seeded leak: handed to C code that never puts it
  (void)raw;
  return sum(a);
}

extern "C" __attribute__((export_name("run_double_adopt"))) int run_double_adopt() {
  Rc<Node> tail = numbers();
  rc_handle raw = tail.share(RC_SITE()).release(); // double adopt: taken here
  int total = 0;
  {
    Rc<Node> first = Rc<Node>::adopt(raw);
    total += sum(first);
  }
  Rc<Node> second = Rc<Node>::adopt(raw); // seeded double adopt: a reference already put
  total += sum(second);
  return total;
}
