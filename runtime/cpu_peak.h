// The FLOP rate MFU is measured against on the CPU backend: the CPU has no
// datasheet number we can trust here, so we time the same fp32 matmul the
// model uses (kernels/cpu) on one thread and multiply by the threads that
// run concurrently (min(ranks, hardware threads)). MFU on the CPU therefore
// says how close the whole step gets to its own GEMM speed.
#pragma once

namespace parallax {

// Measured fp32 GEMM FLOP/s of one thread (a few 256^3 products, best of).
double MeasureCpuGemmFlopsPerThread();

// MeasureCpuGemmFlopsPerThread() x min(ranks, std::thread::hardware_concurrency()).
double CpuPeakFlops(int ranks);

}  // namespace parallax
