import { tensorFloats } from './fused/addon';
import type { TF } from './types';

type Loop = (a: Float32Array, b: Float32Array, out: Float32Array) => void;

// One loop per operation, so that each stays monomorphic.
const LOOPS: Record<string, Loop> = {
  Add(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
  },
  Sub(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i];
  },
  Multiply(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
  },
};

interface KernelArgs {
  inputs: { a?: { dataId: object; shape: number[]; dtype: string }; b?: { dataId: object; shape: number[]; dtype: string } };
  backend: { data: { get(id: object): { values: unknown } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): unknown };
}

const ours = new WeakSet<object>();

/**
 * TensorFlow.js' JavaScript (cpu) backend adds, subtracts and multiplies through its broadcasting
 * helper, a few nanoseconds an element; training does that to large tensors of equal shapes (the
 * gradient of a layer input read twice, as Bidirectional does: B·T·d values a batch). For two
 * float32 tensors of the same shape these kernels run a plain loop into the kernels' memory, several
 * times faster; anything else goes to tfjs' own kernel. Registered once per tfjs.
 */
export function registerFastCpuKernels(tf: TF): void {
  for (const [name, loop] of Object.entries(LOOPS)) {
    const stock = tf.getKernel(name, 'cpu');
    if (!stock || ours.has(stock.kernelFunc)) continue;
    const kernelFunc = (args: KernelArgs) => {
      const { a, b } = args.inputs;
      const same = a && b && a.dtype === 'float32' && b.dtype === 'float32' && a.shape.length === b.shape.length && a.shape.every((n, i) => n === b.shape[i]);
      if (!same) return (stock.kernelFunc as unknown as (args: KernelArgs) => unknown)(args);
      const av = args.backend.data.get(a.dataId).values as Float32Array;
      const bv = args.backend.data.get(b.dataId).values as Float32Array;
      const out = tensorFloats(tf, av.length);
      loop(av, bv, out);
      return args.backend.makeTensorInfo(a.shape, 'float32', out);
    };
    ours.add(kernelFunc);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...stock, kernelFunc: kernelFunc as unknown as typeof stock.kernelFunc });
  }
}
