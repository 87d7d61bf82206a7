// How many GPUs this machine has, asked in a short-lived child process: the
// ranks are forked afterwards, and a CUDA runtime initialised before fork() is
// unusable in the children ("initialization error" in cudaSetDevice).
#pragma once

namespace parallax::gpu {

int CountLocalGpus();  // 0 when there is no device or driver

}  // namespace parallax::gpu
