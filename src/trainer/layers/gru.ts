import { defaultRecurrentArgs, type defineCellBase, type defineRecurrentBase, type KerasRecurrentArgs } from './rnn';
import type { ConfigDict, Tensor, Tensor2D, TF } from './types';

/**
 * Keras 3's GRU, both `reset_after` modes, with Keras' exact maths and weight layout:
 * - kernel (input_dim, 3*units), recurrent_kernel (units, 3*units), gate order z, r, h;
 * - bias (2, 3*units) when reset_after (row 0 is added to the input projection, row 1 to the
 *   recurrent one), else (3*units,) (input side only);
 * - z = σ(x_z + h·U_z [+ b_rz]), r = σ(x_r + h·U_r [+ b_rr]),
 *   reset_after:  ĥ = act(x_h + r ⊙ (h·U_h + b_rh)),
 *   reset_before: ĥ = act(x_h + (r ⊙ h)·U_h),
 *   h' = z ⊙ h + (1 − z) ⊙ ĥ   (σ = recurrent_activation, x_* = x·W_* + b_*);
 * - dropout: one input mask for all gates; with recurrent_dropout, one mask per gate for the
 *   input and for the state (Keras' implementation 1).
 * tfjs' own GRU refuses reset_after=true, Keras 3's default.
 */
export function defineGRU(tf: TF, KerasCell: ReturnType<typeof defineCellBase>, KerasRecurrent: ReturnType<typeof defineRecurrentBase>) {
  class KerasGRUCell extends KerasCell {
    static className = 'KerasGRUCell';
    readonly gates = 3;
    readonly stateCount = 1;
    readonly resetAfter: boolean;
    stateSize: number;

    constructor(args: KerasRecurrentArgs) {
      super(args);
      this.resetAfter = defaultRecurrentArgs(args).resetAfter;
      this.stateSize = this.units;
    }

    protected override biasShape(): number[] {
      return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
    }

    protected override inputBias(): Tensor | null {
      if (!this.bias) return null;
      const b = this.bias.read();
      return this.resetAfter ? tf.reshape(tf.slice(b, [0, 0], [1, 3 * this.units]), [3 * this.units]) : b;
    }

    private recurrentBias(): Tensor | null {
      if (!this.bias || !this.resetAfter) return null;
      return tf.reshape(tf.slice(this.bias.read(), [1, 0], [1, 3 * this.units]), [3 * this.units]);
    }

    step(projected: Tensor, states: Tensor[], recurrentMasks: Tensor[] | null): Tensor[] {
      return tf.tidy(() => {
        const u = this.units;
        const h = states[0];
        const [xz, xr, xh] = tf.split(projected, 3, -1);
        const rk = this.recurrentKernel.read();
        const rb = this.recurrentBias();
        const mm = (a: Tensor, b: Tensor) => tf.matMul(a as Tensor2D, b as Tensor2D);
        let recZ: Tensor;
        let recR: Tensor;
        let recH: () => Tensor; // needs r for reset_before
        let z: Tensor;
        let r: Tensor;
        if (recurrentMasks) {
          // Keras implementation 1: one state mask per gate.
          const [kz, kr, kh] = tf.split(rk, 3, 1);
          const [bz, br, bh] = rb ? tf.split(rb, 3, 0) : [null, null, null];
          recZ = mm(tf.mul(h, recurrentMasks[0]), kz);
          recR = mm(tf.mul(h, recurrentMasks[1]), kr);
          if (bz && br) {
            recZ = tf.add(recZ, bz);
            recR = tf.add(recR, br);
          }
          z = this.recurrentAct(tf.add(xz, recZ));
          r = this.recurrentAct(tf.add(xr, recR));
          const hH = tf.mul(h, recurrentMasks[2]);
          recH = this.resetAfter ? () => tf.mul(r, bh ? tf.add(mm(hH, kh), bh) : mm(hH, kh)) : () => mm(tf.mul(r, hH), kh);
        } else if (this.resetAfter) {
          let inner = mm(h, rk);
          if (rb) inner = tf.add(inner, rb);
          const [iz, ir, ih] = tf.split(inner, 3, -1);
          z = this.recurrentAct(tf.add(xz, iz));
          r = this.recurrentAct(tf.add(xr, ir));
          recH = () => tf.mul(r, ih);
        } else {
          const [kzr, kh] = tf.split(rk, [2 * u, u], 1);
          const [iz, ir] = tf.split(mm(h, kzr), 2, -1);
          z = this.recurrentAct(tf.add(xz, iz));
          r = this.recurrentAct(tf.add(xr, ir));
          recH = () => mm(tf.mul(r, h), kh);
        }
        const hh = this.act(tf.add(xh, recH()));
        const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
        return [next, next];
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), recurrentActivation: this.recurrentActivationName, resetAfter: this.resetAfter };
    }
  }

  class KerasGRU extends KerasRecurrent {
    static override className = 'KerasGRU';
    constructor(args: KerasRecurrentArgs) {
      super(args, new KerasGRUCell(args));
    }
  }

  tf.serialization.registerClass(KerasGRUCell);
  tf.serialization.registerClass(KerasGRU);
  return { KerasGRUCell, KerasGRU };
}
