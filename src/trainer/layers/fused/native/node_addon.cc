// The kernels (kernels.h) as a native Node addon: N-API glue and a std::thread pool. Built by
// build.mjs (or node-gyp with binding.gyp); the JavaScript side is ../addon.ts.
//
// exports.forward(cfg, x, W, U, b, mask, out, saved)
// exports.backward(cfg, x, W, U, b, mask, saved, dy, DZ, DIH, RH, dx, dW, dU, db)
// exports.info() -> { isa, threads, bf16 } (bf16: the CPU's bf16 matrix hardware, see kernels.h)
// exports.gather(table, ids, out, D) -> -1, or the position of the first id outside the table
// exports.scatterAdd(dy, ids, grad, D): grad[ids[i]] += dy[i] (rows of D; grad zeroed by the caller)
// exports.adam(w, g, m, v, out, alpha, beta1, beta2, epsilon): Keras 3's Adam step (m, v in place)
//   cfg: Int32Array (see kernels.h); Float32Arrays (null where absent): x (B·T·d), W (d·G·u),
//   U (u·G·u), b (G·u, or 2·3u for GRU reset_after), out (B·u or B·T·u), saved (sections·B·T·u,
//   null: inference), dy (like out), DZ (B·T·G·u), DIH / RH (B·T·u, GRU reset_after /
//   reset_before), dx (B·T·d), dW, dU, db; mask: Uint8Array (B·T) or null.

#include <node_api.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include "kernels.h"

namespace {

using rnnk::Config;
using rnnk::TaskFn;

// Flush-to-zero and denormals-are-zero (as TensorFlow runs): denormal floats cost x86 cores a
// hundred times more per operation. Set for good in the pool's threads, and around each job on the
// calling thread (JavaScript's, whose own arithmetic must keep IEEE semantics).
class DenormalsOff {
 public:
#if defined(__x86_64__) || defined(__i386__)
  DenormalsOff() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~DenormalsOff() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

// `run(n, task, ctx)` calls task(ctx, 0..n-1) on the calling thread and the workers, and returns
// when all are done. Workers sleep on a condition variable between calls.
class Pool {
 public:
  explicit Pool(int threads) : size_(threads < 1 ? 1 : threads) {
    for (int i = 1; i < size_; i++) workers_.emplace_back([this] {
      DenormalsOff forGood;
      loop();
    });
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
  void run(int n, TaskFn task, void* ctx) {
    std::lock_guard<std::mutex> call(callMu_);
    std::unique_lock<std::mutex> lock(mu_);
    task_ = task;
    ctx_ = ctx;
    tasks_.store(n);
    next_.store(0);
    pending_.store(n);
    generation_++;
    lock.unlock();
    cv_.notify_all();
    work();
    spin([this] { return pending_.load() == 0; });
    lock.lock();
    done_.wait(lock, [this] { return pending_.load() == 0; });
    task_ = nullptr;
  }

 private:
  void work() {
    for (;;) {
      const int i = next_.fetch_add(1);
      if (i >= tasks_.load()) return;
      task_(ctx_, i);
      if (pending_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_all();
      }
    }
  }
  // Waits up to 50 µs for `ready()` without sleeping: the passes of one kernel call follow each
  // other within microseconds, and a thread asleep on a condition variable takes tens of
  // microseconds to wake (more on a busy machine).
  template <class Ready>
  static void spin(Ready ready) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (!ready() && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();
#endif
    }
  }
  void loop() {
    long seen = 0;
    for (;;) {
      spin([&] { return generation_.load() != seen; });
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      if (!task_) continue;
      lock.unlock();
      work();
    }
  }
  int size_;
  std::vector<std::thread> workers_;
  std::mutex mu_, callMu_;
  std::condition_variable cv_, done_;
  TaskFn task_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<int> tasks_{0}, next_{0}, pending_{0};
  std::atomic<long> generation_{0};
  bool stop_ = false;
};

Pool& pool() {
  static Pool p([] {
    const char* env = std::getenv("RNN_STUDIO_FUSED_THREADS");
    int n = env ? std::atoi(env) : (int)std::thread::hardware_concurrency();
    return n < 1 ? 1 : n > 8 ? 8 : n;
  }());
  return p;
}

void* alignedAlloc(size_t bytes) { return std::aligned_alloc(64, (bytes + 63) / 64 * 64); }

const rnnk::Host& host() {
  static const rnnk::Host h{pool().size(), alignedAlloc, std::free, [](int n, TaskFn task, void* ctx) { pool().run(n, task, ctx); }};
  return h;
}

// ---------------------------------------------------------------------------------------------
// Arguments.

bool typedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
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
  return napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) == napi_ok && type == want;
}

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

// A Float32Array of `expect` floats (null allowed when `nullable`).
bool floats(napi_env env, napi_value v, size_t expect, bool nullable, float** out) {
  void* data;
  size_t length;
  if (!typedArray(env, v, napi_float32_array, &data, &length)) return false;
  *out = static_cast<float*>(data);
  return data ? length == expect : nullable;
}

// A non-null typed array of any length.
template <class T>
bool anyArray(napi_env env, napi_value v, napi_typedarray_type type, T** out, size_t* n) {
  void* data;
  if (!typedArray(env, v, type, &data, n) || !data) return false;
  *out = static_cast<T*>(data);
  return true;
}

// What forward and backward both take first: cfg, x, W, U, b, mask (argv[0..5]).
struct Sequence {
  Config c;
  long BT, Gu;
  float *W, *U;
  rnnk::Args args;  // x, b and mask set; the rest by the caller
};

// Reads them; returns the name of the first bad one, or nullptr.
const char* readSequence(napi_env env, napi_value* argv, Sequence* s) {
  Config& c = s->c;
  int32_t* cfg;
  size_t cfgLen;
  if (!anyArray(env, argv[0], napi_int32_array, &cfg, &cfgLen) || cfgLen < 11 || !rnnk::readConfig(cfg, &c)) return "bad config";
  s->BT = (long)c.B * c.T;
  s->Gu = (long)c.gates * c.u;
  float *x, *b;
  if (!floats(env, argv[1], s->BT * c.d, false, &x)) return "x";
  if (!floats(env, argv[2], (size_t)c.d * s->Gu, false, &s->W)) return "W";
  if (!floats(env, argv[3], (size_t)c.u * s->Gu, false, &s->U)) return "U";
  if (!floats(env, argv[4], rnnk::biasLength(c), true, &b)) return "b";
  void* mask;
  size_t maskLen;
  if (!typedArray(env, argv[5], napi_uint8_array, &mask, &maskLen) || (mask && maskLen != (size_t)s->BT)) return "mask";
  s->args.x = x;
  s->args.b = b;
  s->args.mask = static_cast<const uint8_t*>(mask);
  return nullptr;
}

template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  return napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc >= N;
}

napi_value Forward(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args(env, info, argv)) return fail(env, "forward: 8 arguments expected");
  Sequence s;
  if (const char* bad = readSequence(env, argv, &s)) return fail(env, std::string("forward: ") + bad);
  const Config& c = s.c;
  rnnk::Args& a = s.args;
  if (!floats(env, argv[6], (c.returnSequences ? s.BT : c.B) * c.u, false, &a.out)) return fail(env, "forward: out");
  if (!floats(env, argv[7], (size_t)rnnk::savedSections(c) * s.BT * c.u, true, &a.saved)) return fail(env, "forward: saved");
  DenormalsOff here;
  if (!rnnk::forward(host(), c, a, s.W, s.U)) return fail(env, "forward: out of memory");
  return nullptr;
}

napi_value Backward(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!args(env, info, argv)) return fail(env, "backward: 15 arguments expected");
  Sequence s;
  if (const char* bad = readSequence(env, argv, &s)) return fail(env, std::string("backward: ") + bad);
  const Config& c = s.c;
  const long BT = s.BT, Gu = s.Gu;
  rnnk::Args& a = s.args;
  float *saved, *dy, *DZ, *DIH, *RH, *dx, *dW, *dU, *db;
  const bool gru = c.kind == 1;
  const char* bad = !floats(env, argv[6], (size_t)rnnk::savedSections(c) * BT * c.u, false, &saved) ? "saved"
                    : !floats(env, argv[7], (c.returnSequences ? BT : c.B) * c.u, false, &dy)       ? "dy"
                    : !floats(env, argv[8], BT * Gu, false, &DZ)                                     ? "DZ"
                    : !floats(env, argv[9], BT * c.u, !(gru && c.resetAfter), &DIH)                  ? "DIH"
                    : !floats(env, argv[10], BT * c.u, !(gru && !c.resetAfter), &RH)                 ? "RH"
                    : !floats(env, argv[11], BT * c.d, false, &dx)                                   ? "dx"
                    : !floats(env, argv[12], (size_t)c.d * Gu, false, &dW)                           ? "dW"
                    : !floats(env, argv[13], (size_t)c.u * Gu, false, &dU)                           ? "dU"
                    : !floats(env, argv[14], rnnk::biasLength(c), true, &db)                         ? "db"
                                                                                                     : nullptr;
  if (bad) return fail(env, std::string("backward: ") + bad);
  a.saved = saved;
  a.dy = dy;
  a.DZ = DZ;
  a.DIH = DIH;
  a.RH = RH;
  DenormalsOff here;
  if (!rnnk::backward(host(), c, a, s.W, s.U, dx, dW, dU, db)) return fail(env, "backward: out of memory");
  return nullptr;
}

// gather(table, ids, out, D) and scatterAdd(dy, ids, grad, D): one buffer of table rows, one of a
// row per id, rows of D floats.
struct TableArgs {
  float *table, *perId;
  int32_t* ids;
  size_t n, rows;
  int32_t D;
};

bool tableArgs(napi_env env, napi_callback_info info, bool tableFirst, TableArgs* a) {
  napi_value argv[4];
  float *first, *third;
  size_t firstN, thirdN;
  if (!args(env, info, argv) || !anyArray(env, argv[0], napi_float32_array, &first, &firstN) || !anyArray(env, argv[1], napi_int32_array, &a->ids, &a->n) ||
      !anyArray(env, argv[2], napi_float32_array, &third, &thirdN) || napi_get_value_int32(env, argv[3], &a->D) != napi_ok || a->D <= 0)
    return false;
  a->table = tableFirst ? first : third;
  a->perId = tableFirst ? third : first;
  const size_t tableN = tableFirst ? firstN : thirdN, perIdN = tableFirst ? thirdN : firstN;
  a->rows = tableN / a->D;
  return tableN % a->D == 0 && perIdN == a->n * (size_t)a->D;
}

napi_value Gather(napi_env env, napi_callback_info info) {
  TableArgs a;
  if (!tableArgs(env, info, true, &a)) return fail(env, "gather: arguments");
  napi_value result;
  napi_create_int32(env, (int32_t)rnnk::gather(host(), a.table, a.rows, a.ids, a.n, a.D, a.perId), &result);
  return result;
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  TableArgs a;
  if (!tableArgs(env, info, false, &a)) return fail(env, "scatterAdd: arguments");
  if (rnnk::firstOutside(a.ids, a.n, a.rows) >= 0) return fail(env, "scatterAdd: an id outside the table");
  rnnk::scatterAdd(host(), a.table, a.rows, a.ids, a.n, a.D, a.perId);
  return nullptr;
}

napi_value Adam(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  float *w, *g, *m, *v, *out;
  size_t wn, gn, mn, vn, on;
  double alpha, beta1, beta2, eps;
  if (!args(env, info, argv) || !anyArray(env, argv[0], napi_float32_array, &w, &wn) || !anyArray(env, argv[1], napi_float32_array, &g, &gn) ||
      !anyArray(env, argv[2], napi_float32_array, &m, &mn) || !anyArray(env, argv[3], napi_float32_array, &v, &vn) || !anyArray(env, argv[4], napi_float32_array, &out, &on) ||
      gn != wn || mn != wn || vn != wn || on != wn || napi_get_value_double(env, argv[5], &alpha) != napi_ok || napi_get_value_double(env, argv[6], &beta1) != napi_ok ||
      napi_get_value_double(env, argv[7], &beta2) != napi_ok || napi_get_value_double(env, argv[8], &eps) != napi_ok)
    return fail(env, "adam: arguments");
  rnnk::adam(host(), w, g, m, v, out, wn, alpha, beta1, beta2, eps);
  return nullptr;
}

// matmul(A, B, C, M, N, K): C = A · B (row-major), for the bench.
napi_value Matmul(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  float *A, *B, *C;
  size_t an, bn, cn;
  int32_t M, N, K;
  if (!args(env, info, argv) || !anyArray(env, argv[0], napi_float32_array, &A, &an) || !anyArray(env, argv[1], napi_float32_array, &B, &bn) ||
      !anyArray(env, argv[2], napi_float32_array, &C, &cn) || napi_get_value_int32(env, argv[3], &M) != napi_ok || napi_get_value_int32(env, argv[4], &N) != napi_ok ||
      napi_get_value_int32(env, argv[5], &K) != napi_ok || M <= 0 || N <= 0 || K <= 0 || an != (size_t)M * K || bn != (size_t)K * N || cn != (size_t)M * N)
    return fail(env, "matmul: arguments");
  DenormalsOff here;
  if (!rnnk::matmul(host(), M, N, K, A, B, C)) return fail(env, "matmul: out of memory");
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, name, threads, bf16;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, rnnk::isaName(), NAPI_AUTO_LENGTH, &name);
  napi_create_int32(env, pool().size(), &threads);
  napi_create_string_utf8(env, rnnk::bf16Hardware(), NAPI_AUTO_LENGTH, &bf16);
  napi_set_named_property(env, obj, "isa", name);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "bf16", bf16);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
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
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
