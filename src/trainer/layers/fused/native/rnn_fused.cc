// RNN Studio's fused recurrent kernels (optional native addon, N-API, no dependency but the C++
// standard library): whole-sequence forward and backward of Keras' SimpleRNN, GRU (both reset_after
// modes) and LSTM on float32 buffers owned by JavaScript. See ../addon.ts for the JavaScript side
// and the buffer layouts, build.mjs / binding.gyp to build it.
//
// Why it is fast: the recurrence never mixes batch rows, so each thread runs the WHOLE sequence for
// its own rows without any per-step synchronisation; each step is one small matrix product (own
// register-blocked kernel, AVX-512 / AVX2 / portable, chosen at load time) and loops over the gates.
// The weight gradients are then a few large products over all timesteps, split across threads.
//
// exports.forward(cfg, x, W, U, b, mask, out, saved)
// exports.backward(cfg, x, W, U, b, mask, saved, dy, DZ, DIH, RH, dx, dW, dU, db)
// exports.info() -> { isa, threads }
// exports.gather(table, ids, out, D) -> -1, or the position of the first id outside the table
// exports.scatterAdd(dy, ids, grad, D): grad[ids[i]] += dy[i] (rows of D; grad zeroed by the caller)
// exports.adam(w, g, m, v, out, alpha, beta1, beta2, epsilon): Keras 3's Adam step (m, v in place)
//   cfg: Int32Array [kind (0 SimpleRNN, 1 GRU, 2 LSTM), B, T, d, u, act, recAct, resetAfter,
//                    goBackwards, returnSequences, zeroOutputForMask]  (activation codes: 0 linear,
//                    1 tanh, 2 sigmoid, 3 relu)
//   Float32Arrays (null where absent): x (B·T·d), W (d·G·u), U (u·G·u), b (G·u, or 2·3u for GRU
//   reset_after), out (B·u or B·T·u), saved (sections·B·T·u, null: inference), dy (like out),
//   DZ (B·T·G·u), DIH / RH (B·T·u, GRU reset_after / reset_before), dx (B·T·d), dW, dU, db;
//   mask: Uint8Array (B·T) or null.

#include <node_api.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rnnfused {

struct Config {
  int kind, B, T, d, u, act, recAct, resetAfter, goBackwards, returnSequences, zeroOutputForMask;
  int gates;
};

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
  // Packed weights (see pack_b).
  const float* Wp = nullptr;     // W (d x Gu)
  const float* Up = nullptr;     // U (u x Gu), or U_zr (u x 2u) for GRU reset_before
  const float* Uhp = nullptr;    // U_h (u x u), GRU reset_before
  const float* UTp = nullptr;    // Uᵀ (Gu x u)
  const float* UzrTp = nullptr;  // U_zrᵀ (2u x u), GRU reset_before
  const float* UhTp = nullptr;   // U_hᵀ (u x u), GRU reset_before
};

// Element-wise loops read saved state and write gradients through distinct buffers: let the compiler
// vectorise them without run-time alias checks (GCC gives up beyond 10).
#if defined(__clang__)
#define RNN_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define RNN_IVDEP _Pragma("GCC ivdep")
#else
#define RNN_IVDEP
#endif

// One copy of the kernels per instruction set.
#if defined(__x86_64__) || defined(__i386__)
namespace avx512 {
#define RNN_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma,bmi2")))
#define RNN_MR 8
#include "rnn_impl.inc"
#undef RNN_TARGET
#undef RNN_MR
}  // namespace avx512
namespace avx2 {
#define RNN_TARGET __attribute__((target("avx2,fma")))
#define RNN_MR 3
#include "rnn_impl.inc"
#undef RNN_TARGET
#undef RNN_MR
}  // namespace avx2
#endif
namespace generic {
#define RNN_TARGET
#define RNN_MR 2
#include "rnn_impl.inc"
#undef RNN_TARGET
#undef RNN_MR
}  // namespace generic

struct Isa {
  const char* name;
  int mr;
  void (*pack_b)(const float*, long, bool, int, int, float*);
  void (*gemm_nn)(int, int, int, const float*, long, const float*, float*, long, bool, int, int);
  void (*gemm_tn)(int, int, int, const float*, long, const float*, long, float*, long, bool, int, int, float*);
  void (*gemm_tn2)(int, const float*, long, float*, long, int, const float*, long, float*, long, int, int, const float*, long, int, int, float*);
  void (*forward_rows)(const Config&, const Args&, int, int, float*);
  void (*backward_rows)(const Config&, const Args&, int, int, float*, float*);
};

#define RNN_ISA(ns) \
  Isa { #ns, ns::MR, ns::pack_b, ns::gemm_nn, ns::gemm_tn, ns::gemm_tn2, ns::forward_rows, ns::backward_rows }

static Isa pickIsa() {
  const char* force = std::getenv("RNN_STUDIO_FUSED_ISA");
  std::string f = force ? force : "";
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if ((f.empty() || f == "avx512") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) return RNN_ISA(avx512);
  if ((f.empty() || f == "avx512" || f == "avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return RNN_ISA(avx2);
#endif
  return RNN_ISA(generic);
}

static const Isa& isa() {
  static const Isa chosen = pickIsa();
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// A small pool: `run(n, f)` calls f(0..n-1) on the calling thread and the workers, and returns when
// all are done. Workers sleep on a condition variable between calls.

class Pool {
 public:
  explicit Pool(int threads) : size_(threads < 1 ? 1 : threads) {
    for (int i = 1; i < size_; i++) workers_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_++;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return size_; }
  // One job at a time (callers from several JavaScript threads wait for each other).
  void run(int n, const std::function<void(int)>& f) {
    std::lock_guard<std::mutex> call(callMu_);
    if (n <= 1 || size_ == 1) {
      for (int i = 0; i < n; i++) f(i);
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    job_.store(&f);
    tasks_.store(n);
    next_.store(0);
    pending_.store(n);
    generation_++;
    lock.unlock();
    cv_.notify_all();
    work();
    lock.lock();
    done_.wait(lock, [this] { return pending_.load() == 0; });
    job_.store(nullptr);
  }

 private:
  void work() {
    for (;;) {
      const int i = next_.fetch_add(1);
      if (i >= tasks_.load()) return;
      const std::function<void(int)>* job = job_.load();
      if (!job) return;
      (*job)(i);
      if (pending_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_all();
      }
    }
  }
  void loop() {
    long seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      if (!job_.load()) continue;
      lock.unlock();
      work();
    }
  }
  int size_;
  std::vector<std::thread> workers_;
  std::mutex mu_, callMu_;
  std::condition_variable cv_, done_;
  std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::atomic<int> tasks_{0}, next_{0}, pending_{0};
  long generation_ = 0;
  bool stop_ = false;
};

static Pool& pool() {
  static Pool p([] {
    const char* env = std::getenv("RNN_STUDIO_FUSED_THREADS");
    int n = env ? std::atoi(env) : (int)std::thread::hardware_concurrency();
    if (n < 1) n = 1;
    if (n > 8) n = 8;
    return n;
  }());
  return p;
}

// Splits [0, n) into `parts` contiguous ranges, boundaries on multiples of `align` where possible.
static std::vector<int> splitRange(int n, int parts, int align) {
  std::vector<int> cuts(parts + 1, n);
  cuts[0] = 0;
  for (int i = 1; i < parts; i++) {
    int c = (int)((long)n * i / parts);
    if (align > 1) c = (c + align / 2) / align * align;
    cuts[i] = c < cuts[i - 1] ? cuts[i - 1] : c > n ? n : c;
  }
  return cuts;
}

struct Aligned {
  float* p = nullptr;
  explicit Aligned(size_t n) { p = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float)) + 63) / 64 * 64 + 64)); }
  ~Aligned() { std::free(p); }
  bool ok() const { return p != nullptr; }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
};

static size_t packedSize(int K, int N) { return (size_t)K * ((N + 31) / 32) * 32; }

// Row ranges for the sequence loops: at least 8 rows per task.
static std::vector<int> rowCuts(int B) {
  int parts = pool().size();
  while (parts > 1 && B / parts < 8) parts--;
  return splitRange(B, parts, isa().mr);
}

// Returns false when memory for the scratch buffers cannot be had (nothing is computed then).
static bool forward(const Config& c, Args a, const float* W, const float* U) {
  const Isa& I = isa();
  const int u = c.u, Gu = c.gates * u;
  Aligned Wp(packedSize(c.d, Gu)), Up(packedSize(u, Gu)), Uhp(packedSize(u, u));
  if (!Wp.ok() || !Up.ok() || !Uhp.ok()) return false;
  I.pack_b(W, Gu, false, c.d, Gu, Wp.p);
  a.Wp = Wp.p;
  if (c.kind == 1 && !c.resetAfter) {
    I.pack_b(U, Gu, false, u, 2 * u, Up.p);
    I.pack_b(U + 2 * u, Gu, false, u, u, Uhp.p);
    a.Uhp = Uhp.p;
  } else {
    I.pack_b(U, Gu, false, u, Gu, Up.p);
  }
  a.Up = Up.p;
  const std::vector<int> cuts = rowCuts(c.B);
  const int parts = (int)cuts.size() - 1;
  std::vector<std::unique_ptr<Aligned>> ws;
  for (int i = 0; i < parts; i++) {
    ws.emplace_back(new Aligned((size_t)(cuts[i + 1] - cuts[i]) * (2 * Gu + 2 * u)));
    if (!ws.back()->ok()) return false;
  }
  pool().run(parts, [&](int i) {
    if (cuts[i + 1] > cuts[i]) I.forward_rows(c, a, cuts[i], cuts[i + 1], ws[i]->p);
  });
  return true;
}

static bool backward(const Config& c, Args a, const float* W, const float* U, float* dx, float* dW, float* dU, float* db) {
  const Isa& I = isa();
  const int u = c.u, Gu = c.gates * u, d = c.d;
  const long BT = (long)c.B * c.T;
  Aligned UTp(packedSize(Gu, u)), UzrTp(packedSize(2 * u, u)), UhTp(packedSize(u, u)), WTp(packedSize(Gu, d));
  if (!UTp.ok() || !UzrTp.ok() || !UhTp.ok() || !WTp.ok()) return false;
  if (c.kind == 1 && !c.resetAfter) {
    I.pack_b(U, Gu, true, 2 * u, u, UzrTp.p);
    I.pack_b(U + 2 * u, Gu, true, u, u, UhTp.p);
    a.UzrTp = UzrTp.p;
    a.UhTp = UhTp.p;
  } else {
    I.pack_b(U, Gu, true, Gu, u, UTp.p);
    a.UTp = UTp.p;
  }
  // 1. The recurrence, backwards, rows split across threads; bias gradients per range.
  const std::vector<int> cuts = rowCuts(c.B);
  const int parts = (int)cuts.size() - 1;
  std::vector<float> dbParts((size_t)parts * 2 * Gu, 0.f);
  std::vector<std::unique_ptr<Aligned>> ws;
  for (int i = 0; i < parts; i++) {
    ws.emplace_back(new Aligned((size_t)(cuts[i + 1] - cuts[i]) * (2 * Gu + 3 * u)));
    if (!ws.back()->ok()) return false;
  }
  pool().run(parts, [&](int i) {
    if (cuts[i + 1] > cuts[i]) I.backward_rows(c, a, cuts[i], cuts[i + 1], ws[i]->p, dbParts.data() + (size_t)i * 2 * Gu);
  });
  if (db) {
    const int width = c.kind == 1 && c.resetAfter ? 2 * Gu : Gu;
    for (int j = 0; j < width; j++) {
      float s = 0.f;
      for (int i = 0; i < parts; i++) s += dbParts[(size_t)i * 2 * Gu + j];
      db[j] = s;
    }
  }
  // 2. Weight gradients over all timesteps (split by column panels), dx (split by rows).
  const float* Sprev = a.saved;  // section 0: the state before each step
  struct Product {
    int M, N;
    const float* A;
    long lda;
    const float* B;
    long ldb;
    float* C;
    long ldc;
  };
  std::vector<Product> products;
  // SimpleRNN and LSTM: dW = Xᵀ·DZ and dU = Sᵀ·DZ read the same DZ: one combined product.
  const bool combined = c.kind != 1;
  if (!combined) {
    products.push_back({d, Gu, a.x, d, a.DZ, Gu, dW, Gu});
    if (c.resetAfter) {
      products.push_back({u, 2 * u, Sprev, u, a.DZ, Gu, dU, Gu});
      products.push_back({u, u, Sprev, u, a.DIH, u, dU + 2 * u, Gu});
    } else {
      products.push_back({u, 2 * u, Sprev, u, a.DZ, Gu, dU, Gu});
      products.push_back({u, u, a.RH, u, a.DZ + 2 * u, Gu, dU + 2 * u, Gu});
    }
  } else {
    products.push_back({d + u, Gu, nullptr, 0, a.DZ, Gu, nullptr, 0});  // dW and dU together (gemm_tn2)
  }
  struct Task {
    int product, p0, p1;
  };
  std::vector<Task> tasks;
  const int threads = pool().size();
  for (int i = 0; i < (int)products.size(); i++) {
    const int np = (products[i].N + 31) / 32;
    const int chunks = np < threads ? np : threads;
    const std::vector<int> pc = splitRange(np, chunks, 1);
    for (int j = 0; j < chunks; j++)
      if (pc[j + 1] > pc[j]) tasks.push_back({i, pc[j], pc[j + 1]});
  }
  // dx = DZ · Wᵀ, rows split.
  I.pack_b(W, Gu, true, Gu, d, WTp.p);
  const std::vector<int> xr = splitRange((int)BT, threads, 64);
  std::vector<std::unique_ptr<Aligned>> packs;
  for (size_t i = 0; i < tasks.size(); i++) {
    packs.emplace_back(new Aligned((size_t)256 * 32));
    if (!packs.back()->ok()) return false;
  }
  pool().run((int)tasks.size() + threads, [&](int i) {
    if (i < (int)tasks.size()) {
      const Task& t = tasks[i];
      const Product& p = products[t.product];
      float* pack = packs[i]->p;
      if (combined) I.gemm_tn2(d, a.x, d, dW, Gu, u, Sprev, u, dU, Gu, Gu, (int)BT, a.DZ, Gu, t.p0, t.p1, pack);
      else I.gemm_tn(p.M, p.N, (int)BT, p.A, p.lda, p.B, p.ldb, p.C, p.ldc, false, t.p0, t.p1, pack);
    } else {
      const int j = i - (int)tasks.size();
      const int r0 = xr[j], r1 = xr[j + 1];
      if (r1 > r0) I.gemm_nn(r1 - r0, d, Gu, a.DZ + (long)r0 * Gu, Gu, WTp.p, dx + (long)r0 * d, d, false, 0, (d + 31) / 32);
    }
  });
  return true;
}

// ---------------------------------------------------------------------------------------------
// N-API glue.

static bool typedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t == napi_null || t == napi_undefined) {
    *data = nullptr;
    *length = 0;
    return true;
  }
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok || type != want) return false;
  return true;
}

static napi_value fail(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

struct Buffers {
  std::vector<float*> f;
  std::vector<size_t> n;
};

// Reads cfg and the listed Float32Array arguments (nullable), checking their lengths.
static bool readConfig(napi_env env, napi_value v, Config* c) {
  void* data;
  size_t length;
  if (!typedArray(env, v, napi_int32_array, &data, &length) || !data || length < 11) return false;
  const int32_t* p = static_cast<const int32_t*>(data);
  *c = Config{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], 0};
  c->gates = c->kind == 0 ? 1 : c->kind == 1 ? 3 : c->kind == 2 ? 4 : 0;
  return c->gates > 0 && c->B > 0 && c->T > 0 && c->d > 0 && c->u > 0;
}

static bool floats(napi_env env, napi_value v, size_t expect, bool nullable, float** out) {
  void* data;
  size_t length;
  if (!typedArray(env, v, napi_float32_array, &data, &length)) return false;
  if (!data) {
    *out = nullptr;
    return nullable;
  }
  if (length != expect) return false;
  *out = static_cast<float*>(data);
  return true;
}

// What forward and backward both take first: cfg, x, W, U, b, mask (argv[0..5]).
struct Sequence {
  Config c;
  long BT, Gu;
  size_t biasLen;
  int sections;  // saved-state sections of B·T·u floats (see rnn_impl.inc)
  float *W, *U;
  Args args;  // x, b and mask set; the rest by the caller
};

// Reads them; returns the name of the first bad one, or nullptr.
static const char* readSequence(napi_env env, napi_value* argv, Sequence* s) {
  Config& c = s->c;
  if (!readConfig(env, argv[0], &c)) return "bad config";
  s->BT = (long)c.B * c.T;
  s->Gu = (long)c.gates * c.u;
  s->sections = c.kind == 0 ? 2 : c.kind == 2 ? 7 : c.resetAfter ? 5 : 4;
  s->biasLen = c.kind == 1 && c.resetAfter ? 2 * s->Gu : s->Gu;
  float *x, *b;
  if (!floats(env, argv[1], s->BT * c.d, false, &x)) return "x";
  if (!floats(env, argv[2], (size_t)c.d * s->Gu, false, &s->W)) return "W";
  if (!floats(env, argv[3], (size_t)c.u * s->Gu, false, &s->U)) return "U";
  if (!floats(env, argv[4], s->biasLen, true, &b)) return "b";
  void* mask;
  size_t maskLen;
  if (!typedArray(env, argv[5], napi_uint8_array, &mask, &maskLen) || (mask && maskLen != (size_t)s->BT)) return "mask";
  s->args.x = x;
  s->args.b = b;
  s->args.mask = static_cast<const uint8_t*>(mask);
  return nullptr;
}

static napi_value failArg(napi_env env, const char* fn, const char* arg) {
  return fail(env, (std::string(fn) + ": " + arg).c_str());
}

static napi_value Forward(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 8) return fail(env, "forward: 8 arguments expected");
  Sequence s;
  if (const char* bad = readSequence(env, argv, &s)) return failArg(env, "forward", bad);
  const Config& c = s.c;
  float *out, *saved;
  if (!floats(env, argv[6], (c.returnSequences ? s.BT : c.B) * c.u, false, &out)) return fail(env, "forward: out");
  if (!floats(env, argv[7], (size_t)s.sections * s.BT * c.u, true, &saved)) return fail(env, "forward: saved");
  Args& a = s.args;
  a.out = out;
  a.saved = saved;
  if (!forward(c, a, s.W, s.U)) return fail(env, "forward: out of memory");
  return nullptr;
}

static napi_value Backward(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 15) return fail(env, "backward: 15 arguments expected");
  Sequence s;
  if (const char* bad = readSequence(env, argv, &s)) return failArg(env, "backward", bad);
  const Config& c = s.c;
  const long BT = s.BT, Gu = s.Gu;
  float *saved, *dy, *DZ, *DIH, *RH, *dx, *dW, *dU, *db;
  if (!floats(env, argv[6], (size_t)s.sections * BT * c.u, false, &saved)) return fail(env, "backward: saved");
  if (!floats(env, argv[7], (c.returnSequences ? BT : c.B) * c.u, false, &dy)) return fail(env, "backward: dy");
  if (!floats(env, argv[8], BT * Gu, false, &DZ)) return fail(env, "backward: DZ");
  const bool gru = c.kind == 1;
  if (!floats(env, argv[9], BT * c.u, !(gru && c.resetAfter), &DIH)) return fail(env, "backward: DIH");
  if (!floats(env, argv[10], BT * c.u, !(gru && !c.resetAfter), &RH)) return fail(env, "backward: RH");
  if (!floats(env, argv[11], BT * c.d, false, &dx)) return fail(env, "backward: dx");
  if (!floats(env, argv[12], (size_t)c.d * Gu, false, &dW)) return fail(env, "backward: dW");
  if (!floats(env, argv[13], (size_t)c.u * Gu, false, &dU)) return fail(env, "backward: dU");
  if (!floats(env, argv[14], s.biasLen, true, &db)) return fail(env, "backward: db");
  Args& a = s.args;
  a.saved = saved;
  a.dy = dy;
  a.DZ = DZ;
  a.DIH = DIH;
  a.RH = RH;
  if (!backward(c, a, s.W, s.U, dx, dW, dU, db)) return fail(env, "backward: out of memory");
  return nullptr;
}

// Embedding lookups and the optimizer step: memory-bound loops over the large embedding table,
// where TensorFlow's generic ops (through tfjs-node) spend several milliseconds a batch.

static bool int32s(napi_env env, napi_value v, int32_t** out, size_t* n) {
  void* data;
  if (!typedArray(env, v, napi_int32_array, &data, n) || !data) return false;
  *out = static_cast<int32_t*>(data);
  return true;
}

static bool anyFloats(napi_env env, napi_value v, float** out, size_t* n) {
  void* data;
  if (!typedArray(env, v, napi_float32_array, &data, n) || !data) return false;
  *out = static_cast<float*>(data);
  return true;
}

// gather(table, ids, out, D) and scatterAdd(dy, ids, grad, D): one buffer of table rows, one of a
// row per id, rows of D floats.
struct TableArgs {
  float* table;
  float* perId;
  int32_t* ids;
  size_t n, rows;
  int32_t D;
  // The position of the first id outside the table, or -1.
  long firstOutside() const {
    for (size_t i = 0; i < n; i++)
      if ((size_t)(uint32_t)ids[i] >= rows) return (long)i;
    return -1;
  }
};

static bool tableArgs(napi_env env, napi_callback_info info, bool tableFirst, TableArgs* a) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *first, *third;
  size_t firstN, thirdN;
  if (argc < 4 || !anyFloats(env, argv[0], &first, &firstN) || !int32s(env, argv[1], &a->ids, &a->n) || !anyFloats(env, argv[2], &third, &thirdN) ||
      napi_get_value_int32(env, argv[3], &a->D) != napi_ok || a->D <= 0)
    return false;
  a->table = tableFirst ? first : third;
  a->perId = tableFirst ? third : first;
  const size_t tableN = tableFirst ? firstN : thirdN, perIdN = tableFirst ? thirdN : firstN;
  a->rows = tableN / a->D;
  return tableN % a->D == 0 && perIdN == a->n * (size_t)a->D;
}

static napi_value Gather(napi_env env, napi_callback_info info) {
  TableArgs a;
  if (!tableArgs(env, info, true, &a)) return fail(env, "gather: arguments");
  const long bad = a.firstOutside();
  if (bad < 0) {
    const int parts = a.n >= 4096 ? pool().size() : 1;
    const std::vector<int> cut = splitRange((int)a.n, parts, 16);
    pool().run(parts, [&](int p) {
      for (int i = cut[p]; i < cut[p + 1]; i++) std::memcpy(a.perId + (size_t)i * a.D, a.table + (size_t)a.ids[i] * a.D, sizeof(float) * a.D);
    });
  }
  napi_value result;
  napi_create_int32(env, (int32_t)bad, &result);
  return result;
}

static napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  TableArgs a;
  if (!tableArgs(env, info, false, &a)) return fail(env, "scatterAdd: arguments");
  if (a.firstOutside() >= 0) return fail(env, "scatterAdd: an id outside the table");
  const size_t rows = a.rows, n = a.n;
  const int32_t* ids = a.ids;
  const int D = a.D;
  float* grad = a.table;
  const float* dy = a.perId;
  // Each thread owns a range of table rows and adds, in order, the lookups that fall into it: no
  // two threads write the same row, and every row sums its lookups in the same order as one thread.
  const int parts = n >= 4096 ? pool().size() : 1;
  pool().run(parts, [&](int p) {
    const size_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
    for (size_t i = 0; i < n; i++) {
      const size_t r = (size_t)ids[i];
      if (r < r0 || r >= r1) continue;
      float* g = grad + r * D;
      const float* d = dy + i * D;
      for (int j = 0; j < D; j++) g[j] += d[j];
    }
  });
  return nullptr;
}

static napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *w, *g, *m, *v, *out;
  size_t wn, gn, mn, vn, on;
  double alpha, beta1, beta2, eps;
  if (argc < 9 || !anyFloats(env, argv[0], &w, &wn) || !anyFloats(env, argv[1], &g, &gn) || !anyFloats(env, argv[2], &m, &mn) ||
      !anyFloats(env, argv[3], &v, &vn) || !anyFloats(env, argv[4], &out, &on) || gn != wn || mn != wn || vn != wn || on != wn ||
      napi_get_value_double(env, argv[5], &alpha) != napi_ok || napi_get_value_double(env, argv[6], &beta1) != napi_ok ||
      napi_get_value_double(env, argv[7], &beta2) != napi_ok || napi_get_value_double(env, argv[8], &eps) != napi_ok)
    return fail(env, "adam: arguments");
  const float a = (float)alpha, c1 = (float)(1 - beta1), c2 = (float)(1 - beta2), e = (float)eps;
  const int parts = wn >= 65536 ? pool().size() : 1;
  const std::vector<int> cut = splitRange((int)wn, parts, 16);
  pool().run(parts, [&](int p) {
    for (int i = cut[p]; i < cut[p + 1]; i++) {
      const float gi = g[i];
      const float mi = m[i] + (gi - m[i]) * c1;
      const float vi = v[i] + (gi * gi - v[i]) * c2;
      m[i] = mi;
      v[i] = vi;
      out[i] = w[i] - (mi * a) / (std::sqrt(vi) + e);
    }
  });
  return nullptr;
}

static napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, name, threads;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, isa().name, NAPI_AUTO_LENGTH, &name);
  napi_create_int32(env, pool().size(), &threads);
  napi_set_named_property(env, obj, "isa", name);
  napi_set_named_property(env, obj, "threads", threads);
  return obj;
}

static napi_value Init(napi_env env, napi_value exports) {
#ifdef __GLIBC__
  // Every batch hands JavaScript fresh buffers of megabytes (tensors own them, so they cannot be
  // pooled). glibc serves those with new mmap()ed pages and returns them on free, so each one costs
  // ~0.35 ms of page faults per MB on first touch. Keep such blocks in the heap instead.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  napi_property_descriptor props[] = {
      {"forward", nullptr, Forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"backward", nullptr, Backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAdd", nullptr, ScatterAdd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace rnnfused

NAPI_MODULE(NODE_GYP_MODULE_NAME, rnnfused::Init)
