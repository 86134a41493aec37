// RNN Studio's kernels: the recurrent layers' whole-sequence forward and backward passes, the
// Embedding lookup and its gradient, and Keras' Adam step, on float32 buffers. Plain C++ with no
// library: the same source is built twice, as a native Node addon (node_addon.cc: N-API, a
// std::thread pool, x86 instruction sets chosen at run time) and as WebAssembly with SIMD
// (wasm_module.cc: worker_threads over a shared memory). A binding supplies memory and threads
// through `Host`.
//
// Layouts: x is (B, T, d) batch-major; every per-timestep buffer is (B·T, width) with row b·T + t,
// t the timestep (not the processing step); weights are Keras' kernel (d, G·u), recurrent kernel
// (u, G·u), bias (G·u) or, GRU reset_after, (2, 3u). Saved forward state: `savedSections` sections
// of B·T·u floats.

#ifndef RNN_KERNELS_H
#define RNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

namespace rnnk {

// cfg as JavaScript passes it (Int32Array): kind (0 SimpleRNN, 1 GRU, 2 LSTM), B, T, d, u, act,
// recAct (0 linear, 1 tanh, 2 sigmoid, 3 relu), resetAfter, goBackwards, returnSequences,
// zeroOutputForMask.
struct Config {
  int kind, B, T, d, u, act, recAct, resetAfter, goBackwards, returnSequences, zeroOutputForMask;
  int gates;
};

// Reads the 11 cfg values; false when they do not describe a sequence.
bool readConfig(const int32_t* p, Config* c);
inline int savedSections(const Config& c) { return c.kind == 0 ? 2 : c.kind == 2 ? 7 : c.resetAfter ? 5 : 4; }
inline long biasLength(const Config& c) { return (c.kind == 1 && c.resetAfter ? 2L : 1L) * c.gates * c.u; }

struct Args {
  const float* x = nullptr;
  const float* b = nullptr;
  const uint8_t* mask = nullptr;
  float* out = nullptr;
  float* saved = nullptr;
  const float* dy = nullptr;
  float* DZ = nullptr;
  float* DIH = nullptr;
  float* RH = nullptr;
  // Packed weights, set by forward / backward (see pack_b in kernels_isa.inc).
  const float* Wp = nullptr;     // W (d x Gu)
  const float* Up = nullptr;     // U (u x Gu), or U_zr (u x 2u) for GRU reset_before
  const float* Uhp = nullptr;    // U_h (u x u), GRU reset_before
  const float* UTp = nullptr;    // Uᵀ (Gu x u)
  const float* UzrTp = nullptr;  // U_zrᵀ (2u x u), GRU reset_before
  const float* UhTp = nullptr;   // U_hᵀ (u x u), GRU reset_before
};

typedef void (*TaskFn)(void* context, int i);

// What a binding provides.
struct Host {
  int threads;
  void* (*alloc)(size_t bytes);  // 64-byte aligned; nullptr when there is no memory
  void (*release)(void* p);
  void (*parallel)(int n, TaskFn task, void* context);  // task(context, 0..n-1) on all threads; returns when all are done
};

// Both return false when scratch memory cannot be had (nothing is computed then).
// forward: a.x, a.b, a.mask, a.out set; a.saved too when a backward pass will follow.
bool forward(const Host& h, const Config& c, Args a, const float* W, const float* U);
// backward: a.saved, a.dy, a.DZ (B·T·G·u) and DIH / RH (B·T·u, GRU reset_after / reset_before) set.
bool backward(const Host& h, const Config& c, Args a, const float* W, const float* U, float* dx, float* dW, float* dU, float* db);

// The position of the first id outside a table of `rows` rows, or -1.
long firstOutside(const int32_t* ids, size_t n, size_t rows);
// out row i = table row ids[i]; returns -1, or the position of the first id outside the table.
long gather(const Host& h, const float* table, size_t rows, const int32_t* ids, size_t n, int D, float* out);
// grad row ids[i] += dy row i, in order of i (grad zeroed by the caller; ids checked with gather's rule).
void scatterAdd(const Host& h, float* grad, size_t rows, const int32_t* ids, size_t n, int D, const float* dy);
// Keras 3's Adam step: m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2); out = w - m·alpha / (√v + epsilon).
void adam(const Host& h, const float* w, const float* g, float* m, float* v, float* out, size_t n, double alpha, double beta1, double beta2, double epsilon);

// C (M x N) = A (M x K) · B (K x N), row-major, on all threads with the recurrent kernels' own
// register-blocked product: the bench's measure of the peak those products can reach here.
bool matmul(const Host& h, int M, int N, int K, const float* A, const float* B, float* C);

// The instruction set the kernels run on ("avx512", "avx2", "generic", "wasm-simd128").
const char* isaName();

// "avx512bf16", "amx", "avx512bf16+amx", or "" (none, or not x86), detected with cpuid at run time.
const char* bf16Hardware();

}  // namespace rnnk

#endif
