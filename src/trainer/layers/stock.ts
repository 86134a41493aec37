import type { ConfigDict, Kwargs, Layer, Shape, Tensor, TF } from './types';

/**
 * Small fixes to stock tfjs layers where their behaviour differs from Keras 3, as registered
 * subclasses (so a saved model.json reloads with the fix):
 * - Conv1D with `padding: "causal"`: tfjs accepts the option but cannot run it ("not implemented
 *   yet") and computes the output length as for "valid". Here: Keras' left padding, then "valid".
 * - Flatten: Keras also accepts 2-D input (a no-op); tfjs asks for rank >= 3.
 */
export function defineStockFixes(tf: TF) {
  type LayerClass = new (args: object) => Layer;
  type Conv1DArgs = { padding?: string; kernelSize?: number | number[]; dilationRate?: number | number[] } & object;
  // tfjs does not export these classes; take them from an instance (no weights are created).
  const Conv1D = Object.getPrototypeOf(tf.layers.conv1d({ filters: 1, kernelSize: 1 })).constructor as LayerClass;
  const Flatten = Object.getPrototypeOf(tf.layers.flatten()).constructor as LayerClass;

  /** Keras pads `dilation_rate * (kernel_size - 1)` zeros before the sequence, then convolves "valid". */
  class KerasConv1D extends Conv1D {
    static className = 'KerasConv1D';
    readonly causal: boolean;

    constructor(args: Conv1DArgs) {
      const causal = args.padding === 'causal';
      super(causal ? { ...args, padding: 'valid' } : args);
      this.causal = causal;
    }

    /** Zeros added before the first step for causal padding. */
    private leftPad(): number {
      const config = super.getConfig();
      const first = (v: unknown) => Number(Array.isArray(v) ? v[0] : v);
      return first(config.dilationRate ?? 1) * (first(config.kernelSize) - 1);
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      const input = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      if (!this.causal || input[1] === null) return super.computeOutputShape(input);
      return super.computeOutputShape([input[0], input[1] + this.leftPad(), ...input.slice(2)]);
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      if (!this.causal) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return super.call(tf.pad(x, [[0, 0], [this.leftPad(), 0], [0, 0]]), kwargs);
      });
    }

    override getConfig(): ConfigDict {
      const config = super.getConfig();
      return this.causal ? { ...config, padding: 'causal' } : config;
    }
  }

  class KerasFlatten extends Flatten {
    static className = 'KerasFlatten';
    constructor(args: object) {
      super(args);
      this.inputSpec = [new tf.InputSpec({ minNDim: 2 })];
    }
  }

  tf.serialization.registerClass(KerasConv1D as unknown as Parameters<TF['serialization']['registerClass']>[0]);
  tf.serialization.registerClass(KerasFlatten as unknown as Parameters<TF['serialization']['registerClass']>[0]);
  return { Conv1D: KerasConv1D, Flatten: KerasFlatten };
}
