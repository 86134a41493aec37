import { defaultRecurrentArgs, type defineCellBase, type defineRecurrentBase, type KerasRecurrentArgs } from './rnn';
import type { ConfigDict, Shape, Tensor, Tensor2D, TF } from './types';

/**
 * Keras 3's LSTM: kernel (input_dim, 4*units), recurrent_kernel (units, 4*units), bias (4*units,),
 * gate order i, f, c, o (the same as tfjs'); unit_forget_bias (Keras default) starts the forget
 * bias at 1; c' = f ⊙ c + i ⊙ act(z_c), h' = o ⊙ act(c'). Dropout as Keras (one input mask, or one
 * per gate for input and state when recurrent_dropout is set).
 */
export function defineLSTM(tf: TF, KerasCell: ReturnType<typeof defineCellBase>, KerasRecurrent: ReturnType<typeof defineRecurrentBase>) {
  class KerasLSTMCell extends KerasCell {
    static className = 'KerasLSTMCell';
    readonly gates = 4;
    readonly stateCount = 2;
    readonly unitForgetBias: boolean;
    stateSize: number[];

    constructor(args: KerasRecurrentArgs) {
      super(args);
      this.unitForgetBias = defaultRecurrentArgs(args).unitForgetBias;
      this.stateSize = [this.units, this.units];
    }

    override build(inputShape: Shape | Shape[]): void {
      super.build(inputShape);
      const bias = this.bias;
      if (bias && this.unitForgetBias) {
        const u = this.units;
        tf.tidy(() => {
          bias.write(tf.concat([tf.zeros([u]), tf.ones([u]), tf.zeros([2 * u])]));
        });
      }
    }

    step(projected: Tensor, states: Tensor[], recurrentMasks: Tensor[] | null): Tensor[] {
      return tf.tidy(() => {
        const [h, c] = states;
        const rk = this.recurrentKernel.read();
        const mm = (a: Tensor, b: Tensor) => tf.matMul(a as Tensor2D, b as Tensor2D);
        let rec: Tensor;
        if (recurrentMasks) {
          const parts = tf.split(rk, 4, 1);
          rec = tf.concat(parts.map((k, g) => mm(tf.mul(h, recurrentMasks[g]), k)), 1);
        } else rec = mm(h, rk);
        const [z0, z1, z2, z3] = tf.split(tf.add(projected, rec), 4, -1);
        const i = this.recurrentAct(z0);
        const f = this.recurrentAct(z1);
        const cNext = tf.add(tf.mul(f, c), tf.mul(i, this.act(z2)));
        const o = this.recurrentAct(z3);
        const hNext = tf.mul(o, this.act(cNext));
        return [hNext, hNext, cNext];
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), recurrentActivation: this.recurrentActivationName, unitForgetBias: this.unitForgetBias };
    }
  }

  class KerasLSTM extends KerasRecurrent {
    static override className = 'KerasLSTM';
    constructor(args: KerasRecurrentArgs) {
      super(args, new KerasLSTMCell(args));
    }
  }

  tf.serialization.registerClass(KerasLSTMCell);
  tf.serialization.registerClass(KerasLSTM);
  return { KerasLSTMCell, KerasLSTM };
}
