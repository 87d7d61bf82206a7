"""Repository rule that maps a local CUDA toolkit into @local_cuda.

Toolkit location: $CUDA_PATH, else $CUDA_HOME, else /usr/local/cuda (pin it
with `build --repo_env=CUDA_PATH=/path` in .bazelrc). If no nvcc is found there,
the generated targets are marked incompatible, so everything depending on them
is skipped by `bazel build //...` / `bazel test //...` instead of failing.
"""

_BUILD_CUDA = """
package(default_visibility = ["//visibility:public"])

exports_files(["cuda_version.txt"])

# All toolkit headers (incl. cccl: thrust/cub/libcu++), on the -isystem path.
cc_library(
    name = "cuda_headers",
    hdrs = glob(["include/**"]),
    includes = ["include"],
)

# Static CUDA runtime (no libcudart.so needed at run time).
cc_library(
    name = "cudart_static",
    srcs = ["lib64/libcudart_static.a"],
    linkopts = ["-ldl", "-lpthread", "-lrt"],
    deps = [":cuda_headers"],
)

# Shared libs: linked by soname, found at run time through the rpath below
# (or ld.so.cache / LD_LIBRARY_PATH on machines where the toolkit lives elsewhere).
cc_library(
    name = "cublas",
    srcs = ["lib64/libcublas.so", "lib64/libcublasLt.so"],
    linkopts = ["-Wl,-rpath,%{lib_dir}"],
    deps = [":cuda_headers"],
)

cc_library(
    name = "nccl",
    srcs = ["lib64/libnccl.so"],
    linkopts = ["-Wl,-rpath,%{lib_dir}"],
    deps = [":cuda_headers"],
)
"""

_BUILD_NOCUDA = """
package(default_visibility = ["//visibility:public"])

exports_files(["cuda_version.txt"])

# No CUDA toolkit found: every target here is incompatible with every platform,
# so dependents are skipped by wildcard builds (and fail if named explicitly).
constraint_setting(name = "cuda_toolkit")

constraint_value(name = "missing", constraint_setting = ":cuda_toolkit")

[cc_library(name = n, target_compatible_with = [":missing"])
 for n in ["cuda_headers", "cudart_static", "cublas", "nccl"]]
"""

def _impl(rctx):
    env = rctx.os.environ
    cuda_path = env.get("CUDA_PATH") or env.get("CUDA_HOME") or "/usr/local/cuda"
    nvcc = rctx.path(cuda_path + "/bin/nvcc")
    if not nvcc.exists:
        rctx.file("cuda_version.txt", "none\n")
        rctx.file("defs.bzl", 'CUDA_FOUND = False\nCUDA_PATH = ""\nNVCC = ""\n')
        rctx.file("BUILD", _BUILD_NOCUDA)
        return

    # nvcc locates cicc/ptxas/its headers relative to argv[0], so actions must
    # run it by its real absolute path, never through a Bazel symlink.
    nvcc = nvcc.realpath
    root = nvcc.dirname.dirname
    libdir = root.get_child("lib64")
    if not libdir.exists:
        libdir = root.get_child("lib")
    libdir = libdir.realpath
    rctx.symlink(root.get_child("include"), "include")
    rctx.symlink(libdir, "lib64")

    # Recorded so that a toolkit upgrade invalidates every nvcc action.
    res = rctx.execute([str(nvcc), "--version"])
    rctx.file("cuda_version.txt", res.stdout)
    rctx.file("defs.bzl", "CUDA_FOUND = True\nCUDA_PATH = %r\nNVCC = %r\n" % (str(root), str(nvcc)))
    rctx.file("BUILD", _BUILD_CUDA.replace("%{lib_dir}", str(libdir)))

cuda_configure = repository_rule(
    implementation = _impl,
    environ = ["CUDA_PATH", "CUDA_HOME"],
    local = True,
)
