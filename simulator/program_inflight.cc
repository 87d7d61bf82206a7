// Peak in-flight micro-batches per stage, from the program. See program_inflight.h.
#include "simulator/program_inflight.h"

#include <algorithm>

namespace parallax {

InFlight CountInFlight(const Program& program) {
  InFlight r;
  int alive = 0, pending_w = 0;
  for (const Instruction& in : program.instructions) {
    const bool last_part = in.num_parts == 0 || in.part == in.num_parts - 1;
    if (in.op == OpKind::kForward && last_part) ++alive;
    if (IsBackwardOp(in.op) && last_part) --alive;
    if (in.op == OpKind::kBackwardInput && last_part) ++pending_w;
    if (in.op == OpKind::kBackwardWeight && last_part) --pending_w;
    r.max_activations = std::max(r.max_activations, alive);
    r.max_weight_grad_pending = std::max(r.max_weight_grad_pending, pending_w);
  }
  return r;
}

}  // namespace parallax
