import type { DtypePolicy } from '../core';
import { fusedAddonStatus } from './layers/fused/addon';

/**
 * How a model's `dtype_policy` trains here. `mixed_bfloat16` asks for bfloat16 products with float32
 * accumulation and float32 master weights, which pay only on CPUs with bf16 matrix instructions
 * (AVX512-BF16 or AMX, detected with cpuid by the native kernels). RNN Studio has no bf16 kernels yet
 * (none could be verified on hardware), so every run computes in float32; the notice says why, once.
 */
export interface Precision {
  /** What the products are computed in. */
  compute: 'float32';
  /** Said once in the training output when the file's policy is not what runs. */
  notice?: string;
}

const HARDWARE_NAMES: Record<string, string> = { avx512bf16: 'AVX512-BF16', amx: 'AMX', 'avx512bf16+amx': 'AVX512-BF16 and AMX' };

/** `kernels`: the loaded kernels (portable ones are float32 only; `bf16` is what cpuid found). */
export function trainingPrecision(policy: DtypePolicy, kernels: { loaded: boolean; isa?: string; bf16?: string } = fusedAddonStatus()): Precision {
  if (policy === 'float32') return { compute: 'float32' };
  if (!kernels.loaded || kernels.isa?.startsWith('wasm')) {
    return { compute: 'float32', notice: `mixed_bfloat16: the ${kernels.loaded ? 'portable (WebAssembly)' : 'TensorFlow-op'} kernels compute in float32 only; training in float32` };
  }
  const hardware = HARDWARE_NAMES[kernels.bf16 ?? ''];
  if (!hardware) return { compute: 'float32', notice: 'mixed_bfloat16: this CPU has no AVX512-BF16 or AMX; training in float32' };
  return { compute: 'float32', notice: `mixed_bfloat16: this CPU has ${hardware}, but RNN Studio's bf16 kernels are not built yet; training in float32` };
}
