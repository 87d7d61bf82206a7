// Strings over a float all-gather (see rank_gather.h).
#include "runtime/gpu/rank_gather.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace parallax::gpu {

std::vector<std::string> AllGatherStrings(int world, const std::string& mine, const HostAllGather& all_gather) {
  static_assert(sizeof(float) == sizeof(uint32_t), "lengths travel as the bits of one float");
  const uint32_t length = static_cast<uint32_t>(mine.size());
  float packed_length;
  std::memcpy(&packed_length, &length, 4);
  std::vector<float> lengths(world);
  all_gather(&packed_length, lengths.data(), 1);
  std::vector<uint32_t> sizes(world);
  std::memcpy(sizes.data(), lengths.data(), 4 * size_t(world));
  const size_t longest = *std::max_element(sizes.begin(), sizes.end());
  const size_t count = (longest + 3) / 4;  // floats per rank, the longest string padded
  std::vector<float> in(std::max<size_t>(count, 1), 0.0f), out(std::max<size_t>(count, 1) * world);
  std::memcpy(in.data(), mine.data(), mine.size());
  if (count > 0) all_gather(in.data(), out.data(), count);
  std::vector<std::string> all(world);
  for (int r = 0; r < world; ++r)
    all[r].assign(reinterpret_cast<const char*>(out.data() + size_t(r) * count), sizes[r]);
  return all;
}

}  // namespace parallax::gpu
