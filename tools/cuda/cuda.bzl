"""Minimal nvcc support for Bazel 4 (no rules_cuda, nothing downloaded).

cuda_library(name, srcs = [*.cu], hdrs, deps, copts) compiles each .cu with
nvcc into a PIC object, archives them, and wraps the archive in a cc_library
that also links the static CUDA runtime. Use it like any cc_library. copts go
to nvcc as they are (host-compiler flags need "-Xcompiler"). No -rdc: device
code cannot call across .cu files (no separate device link step).

GPU architectures: --define cuda_archs=sm_80,sm_90 (default sm_90). SASS is
emitted for every listed arch plus PTX for the last one (JIT for newer GPUs).
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")
load("@local_cuda//:defs.bzl", "CUDA_FOUND", "NVCC")

def cuda_compatible():
    """target_compatible_with value: incompatible if CUDA is absent or off."""
    if not CUDA_FOUND:
        return ["//tools/cuda:incompatible"]
    return select({
        "//tools/cuda:cuda_off": ["//tools/cuda:incompatible"],
        "//conditions:default": [],
    })

def if_cuda(if_true, if_false = []):
    """select() helper for code with an optional GPU path."""
    if not CUDA_FOUND:
        return if_false
    return select({
        "//tools/cuda:cuda_off": if_false,
        "//conditions:default": if_true,
    })

def _gencode_flags(archs):
    flags = []
    for arch in archs:
        num = arch.replace("sm_", "")
        flags.append("-gencode=arch=compute_%s,code=sm_%s" % (num, num))
    last = archs[-1].replace("sm_", "")
    flags.append("-gencode=arch=compute_%s,code=compute_%s" % (last, last))
    return flags

def _cuda_archive_impl(ctx):
    cc_toolchain = find_cpp_toolchain(ctx)
    archs = ctx.var.get("cuda_archs", ctx.attr.default_archs).split(",")
    mode = ctx.var["COMPILATION_MODE"]
    cctx = cc_common.merge_cc_infos(
        cc_infos = [d[CcInfo] for d in ctx.attr.deps],
    ).compilation_context

    common = ["-x", "cu", "-std=c++17", "-ccbin", cc_toolchain.compiler_executable,
              "-Xcompiler", "-fPIC"] + _gencode_flags(archs)
    common += {"opt": ["-O3", "-DNDEBUG"], "dbg": ["-g", "-G"]}.get(mode, ["-O2"])
    common += ["-I.", "-I" + ctx.bin_dir.path]  # sources and generated headers
    common += ["-I" + p for p in cctx.includes.to_list() + cctx.quote_includes.to_list()]
    for p in cctx.system_includes.to_list():
        common += ["-isystem", p]
    common += ["-D" + d for d in cctx.defines.to_list()]
    common += ctx.attr.copts

    inputs = depset(
        ctx.files.hdrs + [ctx.file._version],
        transitive = [cctx.headers],
    )
    objs = []
    for src in ctx.files.srcs:
        obj = ctx.actions.declare_file("_cu_objs/%s/%s.o" % (ctx.label.name, src.basename[:-len(".cu")]))
        ctx.actions.run(
            executable = NVCC,
            arguments = common + ["-c", src.path, "-o", obj.path],
            inputs = depset([src], transitive = [inputs]),
            outputs = [obj],
            mnemonic = "NvccCompile",
            progress_message = "nvcc %s (%s)" % (src.short_path, ",".join(archs)),
            use_default_shell_env = True,
        )
        objs.append(obj)

    archive = ctx.actions.declare_file("lib%s.a" % ctx.label.name)
    ctx.actions.run(
        executable = cc_toolchain.ar_executable,
        arguments = ["rcsD", archive.path] + [o.path for o in objs],
        inputs = objs,
        outputs = [archive],
        mnemonic = "NvccArchive",
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([archive]))]

_cuda_archive = rule(
    implementation = _cuda_archive_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".cu"], mandatory = True),
        "hdrs": attr.label_list(allow_files = True),
        "deps": attr.label_list(providers = [CcInfo]),
        "copts": attr.string_list(),
        "default_archs": attr.string(default = "sm_90"),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
        "_version": attr.label(default = "@local_cuda//:cuda_version.txt", allow_single_file = True),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    incompatible_use_toolchain_transition = True,
)

def cuda_library(name, srcs, hdrs = [], deps = [], copts = [], default_archs = "sm_90", **kwargs):
    """A cc_library whose .cu sources are compiled by nvcc."""
    compat = cuda_compatible()
    _cuda_archive(
        name = name + "_nvcc",
        srcs = srcs,
        hdrs = hdrs,
        deps = deps + ["@local_cuda//:cuda_headers"],
        copts = copts,
        default_archs = default_archs,
        target_compatible_with = compat,
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name,
        srcs = [":" + name + "_nvcc"],
        hdrs = hdrs,
        deps = deps + ["@local_cuda//:cudart_static"],
        linkstatic = True,  # srcs is a prebuilt archive: no .so to make
        target_compatible_with = compat,
        **kwargs
    )
