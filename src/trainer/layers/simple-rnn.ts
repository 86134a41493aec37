import type { defineCellBase, defineRecurrentBase, KerasRecurrentArgs } from './rnn';
import type { Tensor, Tensor2D, TF } from './types';

/**
 * Keras 3's SimpleRNN: kernel (input_dim, units), recurrent_kernel (units, units), bias (units,);
 * h' = act(x·W + b + h·U). No recurrent_activation. Keras applies its dropout masks whenever the rate
 * is above 0 (GRU/LSTM: strictly between 0 and 1), always one mask each.
 */
export function defineSimpleRNN(tf: TF, KerasCell: ReturnType<typeof defineCellBase>, KerasRecurrent: ReturnType<typeof defineRecurrentBase>) {
  class KerasSimpleRNNCell extends KerasCell {
    static className = 'KerasSimpleRNNCell';
    readonly gates = 1;
    readonly stateCount = 1;
    stateSize: number;

    constructor(args: KerasRecurrentArgs) {
      super(args);
      this.stateSize = this.units;
    }

    override dropoutMaskCount(): number {
      return 1;
    }

    override usesDropout(): boolean {
      return this.dropout > 0;
    }

    override usesRecurrentDropout(): boolean {
      return this.recurrentDropout > 0;
    }

    step(projected: Tensor, states: Tensor[], recurrentMasks: Tensor[] | null): Tensor[] {
      return tf.tidy(() => {
        const h = recurrentMasks ? tf.mul(states[0], recurrentMasks[0]) : states[0];
        const next = this.act(tf.add(projected, tf.matMul(h as Tensor2D, this.recurrentKernel.read() as Tensor2D)));
        return [next, next];
      });
    }
  }

  class KerasSimpleRNN extends KerasRecurrent {
    static override className = 'KerasSimpleRNN';
    constructor(args: KerasRecurrentArgs) {
      super(args, new KerasSimpleRNNCell(args));
    }
  }

  tf.serialization.registerClass(KerasSimpleRNNCell);
  tf.serialization.registerClass(KerasSimpleRNN);
  return { KerasSimpleRNNCell, KerasSimpleRNN };
}
