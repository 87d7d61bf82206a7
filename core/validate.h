// Every rule a configuration must satisfy before anything is computed, each
// failing with a one-line SpecError that names the flag / field and the rule
// (heads % tp, layers over pp x vpp, gbs % (dp x mbs), experts % ep, ...).
// Soft problems (tp spanning nodes) come back as warnings.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace parallax {

// Throws SpecError on the first broken rule; returns warnings otherwise.
std::vector<std::string> ValidateJob(const Job& job);

}  // namespace parallax
