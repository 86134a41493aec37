import { mulberry32 } from '../../data/random';
import { activationFunction } from './activations';
import { fusedSequence } from './fused/index';
import type * as tfType from '@tensorflow/tfjs';
import type { ConfigDict, Kwargs, LayerVariable, Shape, Tensor, Tensor2D, TF } from './types';

/**
 * The recurrent layers of RNN Studio: Keras 3's SimpleRNN, LSTM and GRU with Keras' maths, weight
 * layout, initialisers, dropout and masking semantics, on top of tfjs' `RNN` layer class (so that
 * `tf.layers.bidirectional` can clone them and tfjs' model saving works).
 *
 * Split in two so the computation can be swapped:
 * - a **cell** (`KerasCell`) owns the weights (Keras shapes and order) and the maths of one step;
 * - `runSequence` (here) drives a cell over a sequence: input projection for all timesteps at once,
 *   then the recurrence step by step, with Keras' mask and go_backwards semantics. It is the
 *   reference implementation.
 * `KerasRecurrent.call` first tries the fused whole-sequence kernels (`fused/index.ts`: the sequence
 * forward and backward as one op with a hand-written gradient, in a native addon or as TensorFlow
 * ops), which compute the same to 1e-5 (test/unit/fused.test.ts), and falls back to `runSequence`
 * for what they do not handle (recurrent_dropout in training, other activations). Same layer
 * classes, config and weights either way.
 */

export type RecurrentKind = 'SimpleRNN' | 'LSTM' | 'GRU';

/** Constructor arguments (tfjs camelCase), also the layer's serialised config. */
export interface KerasRecurrentArgs {
  name?: string;
  units: number;
  /** Keras activation name (`tanh`, `hard_sigmoid`, ...). */
  activation?: string;
  /** Keras activation name; LSTM and GRU only. */
  recurrentActivation?: string;
  useBias?: boolean;
  returnSequences?: boolean;
  goBackwards?: boolean;
  dropout?: number;
  recurrentDropout?: number;
  /** GRU only (Keras default true). */
  resetAfter?: boolean;
  /** LSTM only (Keras default true): the forget-gate bias starts at 1. */
  unitForgetBias?: boolean;
  /**
   * Whether the layer applies the mask tfjs passes in `kwargs.mask`. tfjs-layers 4.22's executor
   * keeps handing the last mask it saw to every later layer, also after a layer that drops it
   * (Conv1D, pooling, Flatten, ...), where Keras passes none. The builder sets this to false for
   * layers whose input carries no mask in Keras. Default true.
   */
  acceptMask?: boolean;
  /**
   * Keras RNN `zero_output_for_mask`: masked steps output zeros instead of the previous output.
   * Keras' Bidirectional forces it to `return_sequences` on both halves. Default false.
   */
  zeroOutputForMask?: boolean;
  /** Seed of the weight initialisers (Keras: glorot_uniform, orthogonal, zeros). */
  seed?: number;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
  dtype?: 'float32';
}

export function defaultRecurrentArgs(args: KerasRecurrentArgs): Required<Omit<KerasRecurrentArgs, 'name' | 'seed' | 'inputShape' | 'batchInputShape' | 'dtype' | 'trainable'>> {
  return {
    units: args.units,
    activation: normaliseActivationName(args.activation ?? 'tanh'),
    recurrentActivation: normaliseActivationName(args.recurrentActivation ?? 'sigmoid'),
    useBias: args.useBias ?? true,
    returnSequences: args.returnSequences ?? false,
    goBackwards: args.goBackwards ?? false,
    dropout: Math.min(1, Math.max(0, args.dropout ?? 0)),
    recurrentDropout: Math.min(1, Math.max(0, args.recurrentDropout ?? 0)),
    resetAfter: args.resetAfter ?? true,
    unitForgetBias: args.unitForgetBias ?? true,
    acceptMask: args.acceptMask ?? true,
    zeroOutputForMask: args.zeroOutputForMask ?? false,
  };
}

/** tfjs camel-cases string values when it loads a model.json (`hard_sigmoid` -> `hardSigmoid`); accept both. */
export function normaliseActivationName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** What `runSequence` needs from a cell. Weights are the cell's `LayerVariable`s, in Keras order. */
export interface KerasCellApi {
  readonly units: number;
  /** Gates stacked in the kernel's last axis: 1 (SimpleRNN), 4 (LSTM: i, f, c, o), 3 (GRU: z, r, h). */
  readonly gates: number;
  /** Number of state tensors: 1, or 2 for LSTM (h, c). */
  readonly stateCount: number;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** Dropout masks per step input and per state: 1 (one mask for all gates) or `gates` (Keras implementation 1). */
  dropoutMaskCount(): number;
  /** Whether Keras applies input dropout in training (GRU/LSTM: 0 < rate < 1; SimpleRNN: rate > 0). */
  usesDropout(): boolean;
  usesRecurrentDropout(): boolean;
  /**
   * `x @ kernel + input bias` for every timestep at once: (batch, time, input_dim) -> (batch, time, gates * units).
   * `masks`: input dropout masks (batch, input_dim), one for all gates or one per gate.
   */
  projectInputs(x: Tensor, masks: Tensor[] | null): Tensor;
  /** One step from the projected input (batch, gates * units): returns [output, ...new states]. */
  step(projected: Tensor, states: Tensor[], recurrentMasks: Tensor[] | null): Tensor[];
}

export interface SequenceOptions {
  mask: Tensor | null;
  training: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  zeroOutputForMask?: boolean;
}

/** Inverted dropout mask as Keras makes it: ones, zeroed with probability `rate`, survivors scaled by 1 / (1 - rate). */
export function dropoutMask(tf: TF, shape: number[], rate: number): Tensor {
  if (rate >= 1) return tf.zeros(shape);
  return tf.dropout(tf.ones(shape), rate);
}

/**
 * Runs a cell over a whole sequence, as Keras 3's RNN layer does (TensorFlow backend, `unroll=False`):
 * zero initial states; with `goBackwards` the steps (and the mask) are taken last to first and the
 * returned sequence stays in that order; at a masked step the output and states of the previous step
 * are carried over (or, with `zeroOutputForMask`, the output is zeros); dropout masks are drawn once per call and reused for
 * every step (training only). Returns (batch, units) or, with `returnSequences`, (batch, time, units).
 */
export function runSequence(tf: TF, cell: KerasCellApi, x: Tensor, options: SequenceOptions): Tensor {
  return tf.tidy(() => {
    const [batch, time, inputDim] = x.shape as [number, number, number];
    const units = cell.units;
    const count = cell.dropoutMaskCount();
    const inputMasks = options.training && cell.usesDropout() ? Array.from({ length: count }, () => dropoutMask(tf, [batch, inputDim], cell.dropout)) : null;
    const recurrentMasks = options.training && cell.usesRecurrentDropout() ? Array.from({ length: count }, () => dropoutMask(tf, [batch, units], cell.recurrentDropout)) : null;
    if (time === 0) return options.returnSequences ? tf.zeros([batch, 0, units]) : tf.zeros([batch, units]);

    const projected = cell.projectInputs(x, inputMasks);
    // Never reorder the arrays tf.unstack returns in place: tfjs' gradient tape keeps them as the op's outputs.
    const inOrder = <T>(items: T[]) => (options.goBackwards ? [...items].reverse() : items);
    const steps = inOrder(tf.unstack(tf.transpose(projected, [1, 0, 2])));
    const stepMasks = options.mask ? inOrder(tf.unstack(tf.cast(options.mask, 'bool'), 1).map((m) => tf.broadcastTo(tf.reshape(m, [batch, 1]), [batch, units]))) : null;

    let states: Tensor[] = Array.from({ length: cell.stateCount }, () => tf.zeros([batch, units]));
    let output: Tensor = tf.zeros([batch, units]);
    const outputs: Tensor[] = [];
    for (let t = 0; t < time; t++) {
      const result = tf.tidy(() => {
        const [h, ...next] = cell.step(steps[t], states, recurrentMasks);
        if (!stepMasks) return [h, ...next];
        const m = stepMasks[t];
        return [tf.where(m, h, options.zeroOutputForMask ? tf.zerosLike(h) : output), ...next.map((s, i) => tf.where(m, s, states[i]))];
      });
      output = result[0];
      states = result.slice(1);
      if (options.returnSequences) outputs.push(output);
    }
    return options.returnSequences ? tf.stack(outputs, 1) : output;
  });
}

type Initializer = ReturnType<TF['initializers']['ones']>;

/** Weight initialisers Keras 3 uses for recurrent layers: glorot_uniform, orthogonal, zeros. */
function initializers(tf: TF, seed: number | undefined) {
  return {
    kernel: () => tf.initializers.glorotUniform({ seed }),
    recurrent: () => orthogonal(tf, seed === undefined ? undefined : seed + 1),
    zeros: () => tf.initializers.zeros(),
  };
}

/**
 * Keras' Orthogonal initialiser (gain 1): QR of a (max, min) standard-normal matrix with R's diagonal
 * made positive, transposed when there are fewer rows than columns, so a recurrent kernel
 * (units, gates*units) has orthonormal rows. In plain JS (modified Gram-Schmidt, float64): tfjs'
 * own one is slow on (128, 512) and warns about it.
 */
function orthogonal(tf: TF, seed: number | undefined): Initializer {
  const init = {
    apply(shape: number[]) {
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const cols = shape[shape.length - 1];
      const m = Math.max(rows, cols);
      const n = Math.min(rows, cols);
      const random = seededRandom(seed);
      const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      // Columns of an m x n matrix, orthonormalised in place.
      const q = Array.from({ length: n }, () => Float64Array.from({ length: m }, normal));
      for (let j = 0; j < n; j++) {
        const v = q[j];
        for (let k = 0; k < j; k++) {
          const u = q[k];
          let dot = 0;
          for (let i = 0; i < m; i++) dot += u[i] * v[i];
          for (let i = 0; i < m; i++) v[i] -= dot * u[i];
        }
        let norm = 0;
        for (let i = 0; i < m; i++) norm += v[i] * v[i];
        norm = Math.sqrt(norm) || 1;
        for (let i = 0; i < m; i++) v[i] /= norm;
      }
      const out = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) out[r * cols + c] = rows >= cols ? q[c][r] : q[r][c];
      }
      return tf.tensor(out, shape);
    },
    getClassName: () => 'Orthogonal',
    getConfig: () => ({ gain: 1, seed: seed ?? null }),
  };
  return init as unknown as Initializer;
}

/** Uniform [0, 1) numbers: seeded (mulberry32) when a seed is given, else Math.random. */
function seededRandom(seed: number | undefined): () => number {
  return seed === undefined ? Math.random : mulberry32(seed);
}

export function defineCellBase(tf: TF) {
  abstract class KerasCell extends tf.layers.RNNCell implements KerasCellApi {
    readonly units: number;
    readonly activationName: string;
    readonly recurrentActivationName: string;
    readonly useBias: boolean;
    readonly dropout: number;
    readonly recurrentDropout: number;
    readonly seed: number | undefined;
    /** The seed as given (the config is cloned into both halves of a Bidirectional). */
    private readonly configSeed: number | undefined;
    protected readonly act: (x: Tensor) => Tensor;
    protected readonly recurrentAct: (x: Tensor) => Tensor;
    kernel!: LayerVariable;
    recurrentKernel!: LayerVariable;
    bias: LayerVariable | null = null;
    abstract readonly gates: number;
    abstract readonly stateCount: number;

    constructor(args: KerasRecurrentArgs) {
      super({ name: args.name, trainable: args.trainable });
      const d = defaultRecurrentArgs(args);
      if (!Number.isInteger(d.units) || d.units < 1) throw new Error(`units must be a positive integer, got ${String(args.units)}.`);
      this.units = d.units;
      this.activationName = d.activation;
      this.recurrentActivationName = d.recurrentActivation;
      this.useBias = d.useBias;
      this.dropout = d.dropout;
      this.recurrentDropout = d.recurrentDropout;
      this.configSeed = args.seed;
      // Bidirectional clones one config into both halves: give the backward one other weights.
      this.seed = args.seed === undefined ? undefined : args.seed + (args.goBackwards ? 7919 : 0);
      this.act = activationFunction(tf, this.activationName);
      this.recurrentAct = activationFunction(tf, this.recurrentActivationName);
    }

    /** Keras' implementation 1 (a dropout mask per gate) whenever recurrent_dropout is set. */
    dropoutMaskCount(): number {
      return this.recurrentDropout > 0 ? this.gates : 1;
    }

    usesDropout(): boolean {
      return this.dropout > 0 && this.dropout < 1;
    }

    usesRecurrentDropout(): boolean {
      return this.recurrentDropout > 0 && this.recurrentDropout < 1;
    }

    /** Shape of the bias weight (Keras: (gates*units,), GRU reset_after: (2, 3*units)). */
    protected biasShape(): number[] {
      return [this.gates * this.units];
    }

    /** The bias initial value; LSTM overrides it for unit_forget_bias. */
    protected biasInitializer() {
      return initializers(tf, this.seed).zeros();
    }

    override build(inputShape: Shape | Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      const inputDim = shape[shape.length - 1];
      if (inputDim === null || inputDim === undefined) throw new Error(`${this.name}: the last dimension of the input must be known.`);
      const init = initializers(tf, this.seed);
      const n = this.gates * this.units;
      // Same names, shapes and order as Keras: kernel, recurrent_kernel, bias.
      this.kernel = this.addWeight('kernel', [inputDim, n], 'float32', init.kernel());
      this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, n], 'float32', init.recurrent());
      this.bias = this.useBias ? this.addWeight('bias', this.biasShape(), 'float32', this.biasInitializer()) : null;
      this.built = true;
    }

    /** The part of the bias added to the input projection. */
    protected inputBias(): Tensor | null {
      return this.bias ? this.bias.read() : null;
    }

    projectInputs(x: Tensor, masks: Tensor[] | null): Tensor {
      return tf.tidy(() => {
        const lead = x.shape.slice(0, -1);
        const inputDim = x.shape[x.shape.length - 1];
        const flat = (t: Tensor) => tf.reshape(t, [-1, inputDim]);
        // Masks are (batch, input_dim); for a sequence they apply to every timestep.
        const masked = (m: Tensor) => tf.mul(x, x.rank === 3 ? tf.expandDims(m, 1) : m);
        const kernel = this.kernel.read();
        let z: Tensor;
        if (!masks) z = tf.matMul(flat(x) as Tensor2D, kernel as Tensor2D);
        else if (masks.length === 1) z = tf.matMul(flat(masked(masks[0])) as Tensor2D, kernel as Tensor2D);
        else {
          const parts = tf.split(kernel, this.gates, 1);
          z = tf.concat(
            masks.map((m, g) => tf.matMul(flat(masked(m)) as Tensor2D, parts[g] as Tensor2D)),
            1,
          );
        }
        const bias = this.inputBias();
        if (bias) z = tf.add(z, bias);
        return tf.reshape(z, [...lead, this.gates * this.units]);
      });
    }

    abstract step(projected: Tensor, states: Tensor[], recurrentMasks: Tensor[] | null): Tensor[];

    /** tfjs `RNNCell` contract (`[input, ...states]` -> `[output, ...states]`), for use with `tf.layers.rnn`; no dropout. */
    override call(inputs: Tensor | Tensor[]): Tensor[] {
      return tf.tidy(() => {
        const [x, ...states] = inputs as Tensor[];
        return this.step(this.projectInputs(x, null), states, null);
      });
    }

    override getConfig(): ConfigDict {
      const config: ConfigDict = {
        units: this.units,
        activation: this.activationName,
        useBias: this.useBias,
        dropout: this.dropout,
        recurrentDropout: this.recurrentDropout,
      };
      if (this.configSeed !== undefined) config.seed = this.configSeed;
      return { ...super.getConfig(), ...config };
    }
  }
  return KerasCell;
}

export function defineRecurrentBase(tf: TF) {
  abstract class KerasRecurrent extends tf.layers.RNN {
    readonly acceptMask: boolean;
    readonly zeroOutputForMask: boolean;

    constructor(args: KerasRecurrentArgs, cell: KerasCellApi & InstanceType<TF['layers']['RNNCell']>) {
      const d = defaultRecurrentArgs(args);
      super({
        name: args.name,
        trainable: args.trainable,
        inputShape: args.inputShape ?? undefined,
        batchInputShape: args.batchInputShape ?? undefined,
        cell,
        returnSequences: d.returnSequences,
        goBackwards: d.goBackwards,
      } as ConstructorParameters<TF['layers']['RNN']>[0]);
      this.acceptMask = d.acceptMask;
      this.zeroOutputForMask = d.zeroOutputForMask;
    }

    get kerasCell(): KerasCellApi {
      return this.cell as unknown as KerasCellApi;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      return tf.tidy(() => {
        if (kwargs?.initialState != null) throw new Error(`${this.name}: initial states are not supported.`);
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const rawMask = this.acceptMask ? (kwargs?.mask as Tensor | Tensor[] | undefined) : undefined;
        const mask = (Array.isArray(rawMask) ? rawMask[0] : rawMask) ?? null;
        const options: SequenceOptions = {
          mask,
          training: kwargs?.training === true,
          goBackwards: this.goBackwards,
          returnSequences: this.returnSequences,
          zeroOutputForMask: this.zeroOutputForMask,
        };
        // The whole sequence as one op with a hand-written gradient when the fused kernels handle
        // this configuration (fused/index.ts); else step by step.
        return fusedSequence(tf, this.kerasCell, x, options) ?? runSequence(tf, this.kerasCell, x, options);
      });
    }

    override getConfig(): ConfigDict {
      // tfjs' RNN merges the cell's config (units, activation, ...) with the layer's.
      return { ...super.getConfig(), acceptMask: this.acceptMask, zeroOutputForMask: this.zeroOutputForMask };
    }

    /** tfjs' RNN.fromConfig expects a nested cell config; these layers rebuild their cell from the flat config. */
    static override fromConfig<T extends tfType.serialization.Serializable>(cls: tfType.serialization.SerializableConstructor<T>, config: ConfigDict): T {
      return new cls(config);
    }
  }
  return KerasRecurrent;
}
