import type { Layer, Shape, TF } from './types';

/**
 * Small fixes to stock tfjs layers where their behaviour differs from Keras 3, as registered
 * subclasses (so a saved model.json reloads with the fix):
 * - Conv1D with `padding: "causal"`: tfjs pads correctly when it runs but computes the symbolic
 *   output length as for "valid" (so the next layers would be built for the wrong shape). Keras:
 *   ceil(length / strides).
 * - Flatten: Keras also accepts 2-D input (a no-op); tfjs asks for rank >= 3.
 */
export function defineStockFixes(tf: TF) {
  type LayerClass = new (args: object) => Layer;
  // tfjs does not export these classes; take them from an instance (no weights are created).
  const Conv1D = Object.getPrototypeOf(tf.layers.conv1d({ filters: 1, kernelSize: 1 })).constructor as LayerClass;
  const Flatten = Object.getPrototypeOf(tf.layers.flatten()).constructor as LayerClass;

  class KerasConv1D extends Conv1D {
    static className = 'KerasConv1D';
    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      const out = super.computeOutputShape(inputShape) as Shape;
      const config = this.getConfig();
      if (config.padding !== 'causal') return out;
      const input = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      const length = input[1];
      const strides = Array.isArray(config.strides) ? Number(config.strides[0]) : Number(config.strides ?? 1);
      return [out[0], length === null ? null : Math.ceil(length / strides), out[2]];
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
