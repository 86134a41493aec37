import type { ConfigDict, Kwargs, Layer, LayerVariable, Shape, Tensor, Tensor2D, TF } from './types';

/**
 * Small fixes to stock tfjs layers where their behaviour differs from Keras 3, as registered
 * subclasses (so a saved model.json reloads with the fix):
 * - Conv1D with `padding: "causal"`: tfjs accepts the option but cannot run it ("not implemented
 *   yet") and computes the output length as for "valid". Here: Keras' left padding, then "valid".
 * - Conv1D with `dilation_rate > 1`: tfjs runs it but has no gradient for it; computed here as a
 *   sum over the kernel taps.
 * - Flatten: Keras also accepts 2-D input (a no-op) and an unknown time axis ((None, None)); tfjs
 *   asks for rank >= 3 and known axes.
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

    private settings() {
      const config = super.getConfig();
      const first = (v: unknown) => Number(Array.isArray(v) ? v[0] : v);
      return { kernelSize: first(config.kernelSize), dilation: first(config.dilationRate ?? 1), strides: first(config.strides ?? 1), padding: String(config.padding) };
    }

    /** Zeros added before the first step for causal padding. */
    private leftPad(): number {
      const { kernelSize, dilation } = this.settings();
      return dilation * (kernelSize - 1);
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      const input = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      if (!this.causal || input[1] === null) return super.computeOutputShape(input);
      return super.computeOutputShape([input[0], input[1] + this.leftPad(), ...input.slice(2)]);
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      return tf.tidy(() => {
        let x = Array.isArray(inputs) ? inputs[0] : inputs;
        if (this.causal) x = tf.pad(x, [[0, 0], [this.leftPad(), 0], [0, 0]]);
        return this.settings().dilation > 1 ? this.dilated(x) : super.call(x, kwargs);
      });
    }

    /**
     * Dilated convolution as a sum over the kernel taps (tfjs cannot compute gradients of dilated
     * convolutions). Keras refuses strides > 1 with dilation > 1, so the stride is 1 here.
     */
    private dilated(x: Tensor): Tensor {
      const { kernelSize, dilation, strides, padding } = this.settings();
      if (strides !== 1) throw new Error(`${this.name}: strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too).`);
      const self = this as unknown as { kernel: LayerVariable; bias: LayerVariable | null; activation: { apply(t: Tensor): Tensor } | null };
      const span = dilation * (kernelSize - 1) + 1;
      if (padding === 'same') {
        const before = Math.floor((span - 1) / 2);
        x = tf.pad(x, [[0, 0], [before, span - 1 - before], [0, 0]]);
      }
      const [batch, length, channels] = x.shape as number[];
      const outLength = length - span + 1;
      const kernel = self.kernel.read();
      const filters = kernel.shape[2] as number;
      let y: Tensor = tf.zeros([batch * outLength, filters]);
      for (let j = 0; j < kernelSize; j++) {
        const tap = tf.reshape(tf.slice(x, [0, j * dilation, 0], [batch, outLength, channels]), [batch * outLength, channels]) as Tensor2D;
        y = tf.add(y, tf.matMul(tap, tf.reshape(tf.slice(kernel, [j, 0, 0], [1, channels, filters]), [channels, filters]) as Tensor2D));
      }
      y = tf.reshape(y, [batch, outLength, filters]);
      if (self.bias) y = tf.add(y, self.bias.read());
      return self.activation ? self.activation.apply(y) : y;
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

    /** Keras: (batch, product of the other axes), or (batch, None) when one of them is unknown; tfjs throws on unknown. */
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      const rest = s.slice(1);
      return [s[0], rest.some((d) => d === null) ? null : (rest as number[]).reduce((a, b) => a * b, 1)];
    }
  }

  tf.serialization.registerClass(KerasConv1D as unknown as Parameters<TF['serialization']['registerClass']>[0]);
  tf.serialization.registerClass(KerasFlatten as unknown as Parameters<TF['serialization']['registerClass']>[0]);
  return { Conv1D: KerasConv1D, Flatten: KerasFlatten };
}
