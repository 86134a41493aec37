// The kernels (kernels.h) as a WebAssembly module (SIMD128, shared memory): the portable kernels,
// for platforms without a prebuilt native addon. Freestanding: no C or C++ library. JavaScript
// (../wasm.ts) owns the memory: it allocates every buffer (the `alloc` / `release` imports) and
// runs `parallel` jobs on worker_threads, each with its own instance of this module over the same
// memory, which call back into `run_task`.

#include "kernels.h"

extern "C" {
__attribute__((import_module("env"), import_name("alloc"))) void* host_alloc(size_t bytes);
__attribute__((import_module("env"), import_name("release"))) void host_release(void* p);
__attribute__((import_module("env"), import_name("parallel"))) void host_parallel(int n, rnnk::TaskFn task, void* context);
__attribute__((import_module("env"), import_name("threads"))) int host_threads();
}

namespace {

rnnk::Host host() { return rnnk::Host{host_threads(), host_alloc, host_release, host_parallel}; }

}  // namespace

#define EXPORT(name) extern "C" __attribute__((export_name(name)))

// A worker's instance starts on its own stack (the linker gives every instance the same one).
EXPORT("set_stack") void set_stack(void* top) { __asm__ volatile("local.get %0\n\tglobal.set __stack_pointer" ::"r"(top)); }

// Called by a worker for task i of a `parallel` job.
EXPORT("run_task") void run_task(rnnk::TaskFn task, void* context, int i) { task(context, i); }

// Pointers to buffers in this memory, laid out as in ../addon.ts (null where absent). Return 0 on
// success, 1 for a bad cfg, 2 when scratch memory cannot be had.
// What forward and backward both take first: cfg, x, b, mask.
static bool sequence(const int32_t* cfg, const float* x, const float* b, const uint8_t* mask, rnnk::Config* c, rnnk::Args* a) {
  a->x = x;
  a->b = b;
  a->mask = mask;
  return rnnk::readConfig(cfg, c);
}

EXPORT("forward") int forward(const int32_t* cfg, const float* x, const float* W, const float* U, const float* b, const uint8_t* mask, float* out, float* saved) {
  rnnk::Config c;
  rnnk::Args a;
  if (!sequence(cfg, x, b, mask, &c, &a)) return 1;
  a.out = out;
  a.saved = saved;
  return rnnk::forward(host(), c, a, W, U) ? 0 : 2;
}

EXPORT("backward")
int backward(const int32_t* cfg, const float* x, const float* W, const float* U, const float* b, const uint8_t* mask, float* saved, const float* dy, float* DZ, float* DIH, float* RH, float* dx,
             float* dW, float* dU, float* db) {
  rnnk::Config c;
  rnnk::Args a;
  if (!sequence(cfg, x, b, mask, &c, &a)) return 1;
  a.saved = saved;
  a.dy = dy;
  a.DZ = DZ;
  a.DIH = DIH;
  a.RH = RH;
  return rnnk::backward(host(), c, a, W, U, dx, dW, dU, db) ? 0 : 2;
}

EXPORT("gather") long gather(const float* table, size_t rows, const int32_t* ids, size_t n, int D, float* out) { return rnnk::gather(host(), table, rows, ids, n, D, out); }

EXPORT("scatter_add") void scatter_add(float* grad, size_t rows, const int32_t* ids, size_t n, int D, const float* dy) { rnnk::scatterAdd(host(), grad, rows, ids, n, D, dy); }

EXPORT("adam") void adam(const float* w, const float* g, float* m, float* v, float* out, size_t n, double alpha, double beta1, double beta2, double epsilon) {
  rnnk::adam(host(), w, g, m, v, out, n, alpha, beta1, beta2, epsilon);
}

EXPORT("matmul") int matmul(int M, int N, int K, const float* A, const float* B, float* C) { return rnnk::matmul(host(), M, N, K, A, B, C) ? 0 : 2; }
