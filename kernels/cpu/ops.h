// All fp32 CPU reference ops of //kernels/cpu:ops in one include, for callers
// (the CPU training backend) that use most of them. Conventions are in
// embedding.h: input gradients are written, parameter gradients accumulated.
#pragma once

#include "kernels/cpu/activations.h"
#include "kernels/cpu/adamw.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/bf16.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rmsnorm.h"
#include "kernels/cpu/rope.h"
