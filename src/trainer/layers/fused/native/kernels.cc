// The kernels' entry points (kernels.h): instruction-set choice, and the split of each pass into
// tasks that the binding's threads run. The per-instruction-set bodies are in kernels_isa.inc.
//
// Why it is fast: the recurrence never mixes batch rows, so each thread runs the WHOLE sequence for
// its own rows without any per-step synchronisation; each step is one small matrix product (own
// register-blocked kernel) and loops over the gates. The weight gradients are then a few large
// products over all timesteps, split across threads.

#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace rnnk {

// Element-wise loops read saved state and write gradients through distinct buffers: let the compiler
// vectorise them without run-time alias checks (GCC gives up beyond 10).
#if defined(__clang__)
#define RNN_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define RNN_IVDEP _Pragma("GCC ivdep")
#else
#define RNN_IVDEP
#endif

// One copy of the kernels per instruction set: AVX-512 and AVX2 on x86 (chosen at run time), a
// portable one elsewhere (NEON on arm64, SIMD128 in WebAssembly: the vector extension maps to both).
#if defined(__x86_64__) || defined(__i386__)
namespace avx512 {
#define RNN_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma,bmi2")))
#define RNN_MR 8
#include "kernels_isa.inc"
#undef RNN_TARGET
#undef RNN_MR
#undef RNN_VF
}  // namespace avx512
// AVX2 (16 registers): 2 rows of 32 columns (8 accumulators, 4 panel registers). Measured on an
// LSTM pass (one thread, AMD EPYC, samples/s): MR 2: 340-459; MR 3: 251-269; VF 8 x MR 6: 295-371.
namespace avx2 {
#define RNN_TARGET __attribute__((target("avx2,fma")))
#ifndef RNN_AVX2_MR
#define RNN_AVX2_MR 2
#endif
#ifndef RNN_AVX2_VF
#define RNN_AVX2_VF 16
#endif
#define RNN_MR RNN_AVX2_MR
#define RNN_VF RNN_AVX2_VF
#include "kernels_isa.inc"
#undef RNN_TARGET
#undef RNN_MR
#undef RNN_VF
}  // namespace avx2
#endif
namespace generic {
#define RNN_TARGET
#ifdef __wasm__
// V8 gives WebAssembly 16 SIMD registers: panels of 16 columns (vf = 8 floats = 2 registers) by
// 2 rows keep the accumulators in registers. Measured on an LSTM pass (callgrind, instructions):
// VF 16 x MR 2: 525M, 8 x 2: 402M, 8 x 3: 450M, 8 x 4: 487M, 4 x 4: 411M; 8 x 2 runs 1.4x 16 x 2.
#ifndef RNN_WASM_MR
#define RNN_WASM_MR 2
#endif
#ifndef RNN_WASM_VF
#define RNN_WASM_VF 8
#endif
#define RNN_MR RNN_WASM_MR
#define RNN_VF RNN_WASM_VF
#else
#define RNN_MR 2
#endif
#include "kernels_isa.inc"
#undef RNN_TARGET
#undef RNN_MR
#undef RNN_VF
}  // namespace generic

struct Isa {
  const char* name;
  int mr, nr;  // the micro-kernel's rows and columns (a packed panel's width)
  void (*pack_b)(const float*, long, bool, int, int, float*);
  void (*gemm_nn)(int, int, int, const float*, long, const float*, float*, long, bool, int, int);
  void (*gemm_tn)(int, int, int, const float*, long, const float*, long, float*, long, bool, int, int, float*, float*);
  void (*gemm_tn2)(int, const float*, long, float*, long, int, const float*, long, float*, long, int, int, const float*, long, int, int, float*, float*);
  void (*forward_rows)(const Config&, const Args&, int, int, float*);
  void (*backward_rows)(const Config&, const Args&, int, int, float*, float*);
};

#define RNN_ISA(name, ns) \
  Isa { name, ns::MR, ns::NR, ns::pack_b, ns::gemm_nn, ns::gemm_tn, ns::gemm_tn2, ns::forward_rows, ns::backward_rows }

extern "C" char* getenv(const char*);

static Isa pickIsa() {
#if defined(__x86_64__) || defined(__i386__)
  const char* force = getenv("RNN_STUDIO_FUSED_ISA");
  const bool any = !force || !*force, to512 = any || !__builtin_strcmp(force, "avx512"), to2 = to512 || !__builtin_strcmp(force, "avx2");
  __builtin_cpu_init();
  if (to512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) return RNN_ISA("avx512", avx512);
  if (to2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return RNN_ISA("avx2", avx2);
#endif
#ifdef __wasm__
  return RNN_ISA("wasm-simd128", generic);
#else
  return RNN_ISA("generic", generic);
#endif
}

static const Isa& isa() {
  static const Isa chosen = pickIsa();
  return chosen;
}

const char* isaName() { return isa().name; }

// bf16 matrix hardware for Keras' mixed_bfloat16: the CPU's cpuid bits, and the operating system's
// consent (XCR0) to save the registers they use. No kernel uses them yet: the trainer says so.
const char* bf16Hardware() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return "";  // OSXSAVE: XCR0 is readable
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  const unsigned long long xcr0 = ((unsigned long long)hi << 32) | lo;
  const bool zmm = (xcr0 & 0xe6) == 0xe6;                           // SSE, AVX, opmask and ZMM state
  const bool tiles = (xcr0 & (3ull << 17)) == (3ull << 17);         // XTILECFG and XTILEDATA state
  if (__get_cpuid_max(0, nullptr) < 7) return "";
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx512f = zmm && (b & (1u << 16));
  const bool amx = tiles && (d & (1u << 22)) && (d & (1u << 24));  // AMX-BF16, AMX-TILE
  __cpuid_count(7, 1, a, b, c, d);
  const bool avx512bf16 = avx512f && (a & (1u << 5));
  return avx512bf16 && amx ? "avx512bf16+amx" : amx ? "amx" : avx512bf16 ? "avx512bf16" : "";
#else
  return "";
#endif
}

bool readConfig(const int32_t* p, Config* c) {
  *c = Config{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], 0};
  c->gates = c->kind == 0 ? 1 : c->kind == 1 ? 3 : c->kind == 2 ? 4 : 0;
  return c->gates > 0 && c->B > 0 && c->T > 0 && c->d > 0 && c->u > 0 && c->act >= 0 && c->act <= 3 && c->recAct >= 0 && c->recAct <= 3;
}

// Runs f(i) for i in [0, n) on the binding's threads.
template <class F>
static void parallel(const Host& h, int n, F& f) {
  if (n <= 1 || h.threads <= 1) {
    for (int i = 0; i < n; i++) f(i);
    return;
  }
  h.parallel(n, [](void* ctx, int i) { (*static_cast<F*>(ctx))(i); }, &f);
}

// Scratch memory freed at the end of a scope; `ok()` is false when some allocation failed.
class Scratch {
 public:
  explicit Scratch(const Host& h) : h_(h) {}
  ~Scratch() {
    for (int i = 0; i < n_; i++) h_.release(p_[i]);
  }
  float* floats(size_t n) {
    if (n_ == kMax) return fail();
    float* p = static_cast<float*>(h_.alloc(n * sizeof(float) + 64));
    if (!p) return fail();
    return static_cast<float*>(p_[n_++] = p);
  }
  bool ok() const { return ok_; }

 private:
  float* fail() {
    ok_ = false;
    return nullptr;
  }
  static const int kMax = 64;
  const Host& h_;
  void* p_[kMax];
  int n_ = 0;
  bool ok_ = true;
};

static const int kMaxParts = 64;

// Splits [0, n) into `parts` (<= kMaxParts) contiguous ranges, boundaries on multiples of `align` where possible.
static void splitRange(int n, int parts, int align, int* cuts) {
  cuts[0] = 0;
  cuts[parts] = n;
  for (int i = 1; i < parts; i++) {
    int c = (int)((long)n * i / parts);
    if (align > 1) c = (c + align / 2) / align * align;
    cuts[i] = c < cuts[i - 1] ? cuts[i - 1] : c > n ? n : c;
  }
}

static int clampParts(int threads) { return threads < 1 ? 1 : threads > kMaxParts / 4 ? kMaxParts / 4 : threads; }

static int panelsOf(int N) { return (N + isa().nr - 1) / isa().nr; }
static size_t packedSize(int K, int N) { return (size_t)K * panelsOf(N) * isa().nr; }

// Row ranges for the sequence loops: up to 4 per thread, at least 8 rows each. More ranges than
// threads let the calling thread start at once and take over ranges a late-waking (or preempted)
// worker has not begun: the recurrence has no step to wait at, so one slow thread delays the whole
// pass by its last range only. Returns the number of ranges.
static int rowCuts(const Host& h, int B, int* cuts) {
  int parts = clampParts(h.threads) * (h.threads > 1 ? 4 : 1);
  while (parts > 1 && B / parts < 8) parts--;
  splitRange(B, parts, isa().mr, cuts);
  return parts;
}

bool forward(const Host& h, const Config& c, Args a, const float* W, const float* U) {
  const Isa& I = isa();
  const int u = c.u, Gu = c.gates * u;
  Scratch s(h);
  float* Wp = s.floats(packedSize(c.d, Gu));
  float* Up = s.floats(packedSize(u, Gu));
  float* Uhp = s.floats(packedSize(u, u));
  int cuts[kMaxParts + 1];
  const int parts = rowCuts(h, c.B, cuts);
  float* ws[kMaxParts];
  for (int i = 0; i < parts; i++) ws[i] = s.floats((size_t)(cuts[i + 1] - cuts[i]) * (2 * Gu + 2 * u));
  if (!s.ok()) return false;
  I.pack_b(W, Gu, false, c.d, Gu, Wp);
  a.Wp = Wp;
  if (c.kind == 1 && !c.resetAfter) {
    I.pack_b(U, Gu, false, u, 2 * u, Up);
    I.pack_b(U + 2 * u, Gu, false, u, u, Uhp);
    a.Uhp = Uhp;
  } else {
    I.pack_b(U, Gu, false, u, Gu, Up);
  }
  a.Up = Up;
  auto task = [&](int i) {
    if (cuts[i + 1] > cuts[i]) I.forward_rows(c, a, cuts[i], cuts[i + 1], ws[i]);
  };
  parallel(h, parts, task);
  return true;
}

bool backward(const Host& h, const Config& c, Args a, const float* W, const float* U, float* dx, float* dW, float* dU, float* db) {
  const Isa& I = isa();
  const int u = c.u, Gu = c.gates * u, d = c.d;
  const long BT = (long)c.B * c.T;
  const int threads = clampParts(h.threads);
  Scratch s(h);
  float* UTp = s.floats(packedSize(Gu, u));
  float* UzrTp = s.floats(packedSize(2 * u, u));
  float* UhTp = s.floats(packedSize(u, u));
  float* WTp = s.floats(packedSize(Gu, d));
  int cuts[kMaxParts + 1];
  const int parts = rowCuts(h, c.B, cuts);
  float* dbParts = s.floats((size_t)parts * 2 * Gu);
  float* ws[kMaxParts];
  for (int i = 0; i < parts; i++) ws[i] = s.floats((size_t)(cuts[i + 1] - cuts[i]) * (2 * Gu + 3 * u));
  // Weight-gradient products over K = B·T rows.
  struct Product {
    int M, N;
    const float* A;
    long lda;
    const float* B;
    long ldb;
    long at;  // offset of C in [dW; dU] (d + u rows of Gu)
  };
  Product products[3];
  int nProducts = 0;
  const float* Sprev = a.saved;  // section 0: the state before each step
  // SimpleRNN and LSTM: dW = Xᵀ·DZ and dU = Sᵀ·DZ read the same DZ: one combined product.
  const bool combined = c.kind != 1;
  const long dUAt = (long)d * Gu;
  if (!combined) {
    products[nProducts++] = {d, Gu, a.x, d, a.DZ, Gu, 0};
    if (c.resetAfter) {
      products[nProducts++] = {u, 2 * u, Sprev, u, a.DZ, Gu, dUAt};
      products[nProducts++] = {u, u, Sprev, u, a.DIH, u, dUAt + 2 * u};
    } else {
      products[nProducts++] = {u, 2 * u, Sprev, u, a.DZ, Gu, dUAt};
      products[nProducts++] = {u, u, a.RH, u, a.DZ + 2 * u, Gu, dUAt + 2 * u};
    }
  }
  // Each product's K rows are split into kParts ranges, a number fixed by K alone (so the sums do
  // not depend on the thread count): the first range writes dW and dU, the others partial sums
  // that are added afterwards. Splitting K rather than C's columns packs each block of Xᵀ and Sᵀ
  // once: with column splits every thread packed all of them, which for the few columns of a
  // SimpleRNN cost as much as the product.
  // The partial sums never take more memory than DZ (see src/core/memory.ts).
  const long cSize = (long)(d + u) * Gu;
  int kParts = BT >= 2048 ? 4 : BT >= 1024 ? 2 : 1;
  while (kParts > 1 && (kParts - 1) * cSize > BT * Gu) kParts--;
  float* partial = kParts > 1 ? s.floats((size_t)(kParts - 1) * cSize) : nullptr;
  struct Task {
    int product, part;
    float* pack;
    float* packA;
  };
  Task tasks[3 * 4];
  int nTasks = 0;
  for (int i = 0; i < (combined ? 1 : nProducts); i++)
    for (int j = 0; j < kParts; j++) tasks[nTasks++] = {i, j, s.floats((size_t)256 * I.nr), s.floats((size_t)256 * (d + u + 2 * I.mr))};
  int kr[5];
  splitRange((int)BT, kParts, 64, kr);
  int xr[kMaxParts + 1];
  splitRange((int)BT, threads, 64, xr);
  if (!s.ok()) return false;

  if (c.kind == 1 && !c.resetAfter) {
    I.pack_b(U, Gu, true, 2 * u, u, UzrTp);
    I.pack_b(U + 2 * u, Gu, true, u, u, UhTp);
    a.UzrTp = UzrTp;
    a.UhTp = UhTp;
  } else {
    I.pack_b(U, Gu, true, Gu, u, UTp);
    a.UTp = UTp;
  }
  // 1. The recurrence, backwards, rows split across threads; bias gradients per range.
  for (long i = 0; i < (long)parts * 2 * Gu; i++) dbParts[i] = 0.f;
  auto rows = [&](int i) {
    if (cuts[i + 1] > cuts[i]) I.backward_rows(c, a, cuts[i], cuts[i + 1], ws[i], dbParts + (size_t)i * 2 * Gu);
  };
  parallel(h, parts, rows);
  if (db) {
    const int width = c.kind == 1 && c.resetAfter ? 2 * Gu : Gu;
    for (int j = 0; j < width; j++) {
      float sum = 0.f;
      for (int i = 0; i < parts; i++) sum += dbParts[(size_t)i * 2 * Gu + j];
      db[j] = sum;
    }
  }
  // 2. Weight gradients over all timesteps (split by rows of K), and dx = DZ · Wᵀ (split by rows).
  I.pack_b(W, Gu, true, Gu, d, WTp);
  auto products2 = [&](int i) {
    if (i < nTasks) {
      const Task& t = tasks[i];
      const int k0 = kr[t.part], kb = kr[t.part + 1] - k0;
      if (kb <= 0) return;
      // [dW; dU] for the first range, else this range's partial sums (the same layout).
      float* C = t.part == 0 ? nullptr : partial + (t.part - 1) * cSize;
      float* dWc = C ? C : dW;
      float* dUc = C ? C + dUAt : dU;
      if (combined) {
        I.gemm_tn2(d, a.x + (long)k0 * d, d, dWc, Gu, u, Sprev + (long)k0 * u, u, dUc, Gu, Gu, kb, a.DZ + (long)k0 * Gu, Gu, 0, panelsOf(Gu), t.pack, t.packA);
      } else {
        const Product& p = products[t.product];
        float* out = p.at < dUAt ? dWc + p.at : dUc + (p.at - dUAt);
        I.gemm_tn(p.M, p.N, kb, p.A + (long)k0 * p.lda, p.lda, p.B + (long)k0 * p.ldb, p.ldb, out, Gu, false, 0, panelsOf(p.N), t.pack, t.packA);
      }
    } else {
      const int j = i - nTasks;
      const int r0 = xr[j], r1 = xr[j + 1];
      if (r1 > r0) I.gemm_nn(r1 - r0, d, Gu, a.DZ + (long)r0 * Gu, Gu, WTp, dx + (long)r0 * d, d, false, 0, panelsOf(d));
    }
  };
  parallel(h, nTasks + threads, products2);
  // 3. The partial sums, added in range order.
  if (kParts > 1) {
    const int parts = cSize >= 65536 ? threads : 1;
    int cr[kMaxParts + 1];
    splitRange((int)cSize, parts, 16, cr);
    // Elements [e0, e1) of [dW; dU], of which `out` holds those from `base` on.
    auto addRange = [&](float* out, long base, long e0, long e1) {
      for (long e = e0; e < e1; e++) {
        float sum = out[e - base];
        for (int j = 0; j < kParts - 1; j++) sum += partial[j * cSize + e];
        out[e - base] = sum;
      }
    };
    auto add = [&](int i) {
      const long e0 = cr[i], e1 = cr[i + 1], split = e0 > dUAt ? e0 : e1 < dUAt ? e1 : dUAt;
      addRange(dW, 0, e0, split);
      addRange(dU, dUAt, split, e1);
    };
    parallel(h, parts, add);
  }
  return true;
}

bool matmul(const Host& h, int M, int N, int K, const float* A, const float* B, float* C) {
  const Isa& I = isa();
  // B packed in blocks of KC rows (each block's panels contiguous, as gemm_nn reads them); tasks
  // of MC rows of C by a range of panels, over every block of K: A's block (MC x KC) and one panel
  // of B's block (KC x NR) stay in cache.
  const int KC = 256, MC = 64;
  const int kBlocks = (K + KC - 1) / KC, np = panelsOf(N);
  Scratch s(h);
  float* Bp = s.floats(packedSize(K, N));
  if (!s.ok()) return false;
  auto blockAt = [&](int kb) { return Bp + (size_t)kb * KC * np * I.nr; };
  auto pack = [&](int kb) {
    const int k0 = kb * KC, kc = K - k0 < KC ? K - k0 : KC;
    I.pack_b(B + (long)k0 * N, N, false, kc, N, blockAt(kb));
  };
  parallel(h, kBlocks, pack);
  // Few row blocks: split the panels too, so every thread has work.
  const int rowTasks = (M + MC - 1) / MC, colParts = rowTasks >= 2 * h.threads ? 1 : 2 * h.threads;
  const int cols = colParts < np ? colParts : np;
  int pc[kMaxParts + 1];
  splitRange(np, cols, 1, pc);
  auto task = [&](int t) {
    const int i0 = (t / cols) * MC, rows = M - i0 < MC ? M - i0 : MC, j = t % cols;
    for (int kb = 0; kb < kBlocks; kb++) {
      const int k0 = kb * KC, kc = K - k0 < KC ? K - k0 : KC;
      I.gemm_nn(rows, N, kc, A + (long)i0 * K + k0, K, blockAt(kb), C + (long)i0 * N, N, kb > 0, pc[j], pc[j + 1]);
    }
  };
  parallel(h, rowTasks * cols, task);
  return true;
}

// Embedding lookups and the optimizer step: memory-bound loops over the large embedding table.

long firstOutside(const int32_t* ids, size_t n, size_t rows) {
  for (size_t i = 0; i < n; i++)
    if ((size_t)(uint32_t)ids[i] >= rows) return (long)i;
  return -1;
}

long gather(const Host& h, const float* table, size_t rows, const int32_t* ids, size_t n, int D, float* out) {
  if (const long bad = firstOutside(ids, n, rows); bad >= 0) return bad;
  const int parts = n >= 4096 ? clampParts(h.threads) : 1;
  int cut[kMaxParts + 1];
  splitRange((int)n, parts, 16, cut);
  auto task = [&](int p) {
    for (int i = cut[p]; i < cut[p + 1]; i++) __builtin_memcpy(out + (size_t)i * D, table + (size_t)ids[i] * D, sizeof(float) * D);
  };
  parallel(h, parts, task);
  return -1;
}

void scatterAdd(const Host& h, float* grad, size_t rows, const int32_t* ids, size_t n, int D, const float* dy) {
  // Each thread owns a range of table rows and adds, in order, the lookups that fall into it: no
  // two threads write the same row, and every row sums its lookups in the same order as one thread.
  const int parts = n >= 4096 ? clampParts(h.threads) : 1;
  auto task = [&](int p) {
    const size_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
    for (size_t i = 0; i < n; i++) {
      const size_t r = (size_t)ids[i];
      if (r < r0 || r >= r1) continue;
      float* g = grad + r * D;
      const float* d = dy + i * D;
      for (int j = 0; j < D; j++) g[j] += d[j];
    }
  };
  parallel(h, parts, task);
}

void adam(const Host& h, const float* w, const float* g, float* m, float* v, float* out, size_t n, double alpha, double beta1, double beta2, double epsilon) {
  const float a = (float)alpha, c1 = (float)(1 - beta1), c2 = (float)(1 - beta2), e = (float)epsilon;
  const int parts = n >= 65536 ? clampParts(h.threads) : 1;
  int cut[kMaxParts + 1];
  splitRange((int)n, parts, 16, cut);
  auto task = [&](int p) {
    for (int i = cut[p]; i < cut[p + 1]; i++) {
      const float gi = g[i];
      const float mi = m[i] + (gi - m[i]) * c1;
      const float vi = v[i] + (gi * gi - v[i]) * c2;
      m[i] = mi;
      v[i] = vi;
      out[i] = w[i] - (mi * a) / (__builtin_sqrtf(vi) + e);
    }
  };
  parallel(h, parts, task);
}

}  // namespace rnnk
