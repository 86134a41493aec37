import type { Tensor, TF } from '../types';

/**
 * The few tensor operations the fused recurrent kernels (`kernels.ts`) are written with, behind one
 * interface with two implementations:
 *
 * - `NativeExec` (`@tensorflow/tfjs-node`, backend `tensorflow`) runs TensorFlow ops by name straight
 *   through the addon's `executeOp`, on raw tensor handles: no tfjs engine bookkeeping, no gradient
 *   tape, no JS `Tensor` objects for the thousands of per-timestep intermediates (about 3-4 µs per op
 *   instead of 8-20 µs through `tf.*`). It also offers TensorFlow's `LSTMBlockCellGrad`.
 * - `TfjsExec` (any other backend, e.g. the pure-JS `cpu` one) runs the same algorithm with `tf.*` ops.
 *
 * Handles are owned by the code that created them and released with `free`, except the ones `input`
 * makes from tfjs tensors (borrowed: `free` leaves them alone). `output` turns a handle into a tfjs
 * tensor of the current scope (the handle is consumed).
 */
export type ActName = 'tanh' | 'sigmoid' | 'relu' | 'linear';

export const FUSED_ACTIVATIONS: readonly string[] = ['tanh', 'sigmoid', 'relu', 'linear'];

export interface Exec<H> {
  readonly kind: 'native' | 'tfjs';
  input(t: Tensor): H;
  output(h: H): Tensor;
  free(...hs: (H | H[] | null | undefined)[]): void;
  shape(h: H): number[];
  matMul(a: H, b: H, transposeA?: boolean, transposeB?: boolean): H;
  /** (n, c) + (c,) */
  biasAdd(a: H, bias: H): H;
  add(a: H, b: H): H;
  sub(a: H, b: H): H;
  mul(a: H, b: H): H;
  addN(list: H[]): H;
  act(name: ActName, x: H): H;
  /** Gradient with respect to the activation's input, from its output `y` and the output gradient `dy`. */
  actGrad(name: ActName, y: H, dy: H): H;
  split(x: H, sizes: number[], axis: number): H[];
  concat(list: H[], axis: number): H;
  stack(list: H[], axis: number): H;
  unstack(x: H, axis: number): H[];
  reshape(x: H, shape: number[]): H;
  transpose(x: H, perm: number[]): H;
  /** `cond ? a : b` element-wise, `cond` (bool) broadcast against a and b. */
  select(cond: H, a: H, b: H): H;
  sum(x: H, axes: number[]): H;
  /** Column sums of a matrix (n, c) -> (c,). */
  sumRows(x: H): H;
  zeros(shape: number[]): H;
  ones(shape: number[]): H;
  /** A new handle on the same value (separate ownership). */
  identity(x: H): H;
  /**
   * TensorFlow's `LSTMBlockCellGrad` (native only): from the gate activations of one step (i, f, o =
   * σ(..), ci = tanh(..), cs = the new cell state, co = tanh(cs)), the previous cell state and the
   * gradients flowing into cs and h, returns [gradient into the previous cell state, gradient of the
   * pre-activations in TensorFlow's gate order i, ci, f, o (batch, 4u)].
   */
  lstmCellGrad?(g: { csPrev: H; i: H; cs: H; f: H; o: H; ci: H; co: H; csGrad: H; hGrad: H; w: H }): [H, H];
}

// ---------------------------------------------------------------------------------------------
// Native: TensorFlow ops by name through the tfjs-node addon.

/** What executeOp returns per output (tfjs-node's TensorMetadata), plus whether we own it. */
export interface RawHandle {
  id: number;
  shape: number[];
  dtype: number;
  /** Made from a tfjs tensor by `input`: never deleted here. */
  borrowed?: boolean;
}

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

interface Binding {
  executeOp(name: string, attrs: OpAttr[], inputs: number[], numOutputs: number): RawHandle[];
  createTensor(shape: number[], dtype: number, values: Int32Array | Float32Array): number;
  deleteTensor(id: number): void;
  getNumOfTensors(): number;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_BOOL: number;
  TF_ATTR_INT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_FLOAT: number;
}

/** The parts of tfjs-node's NodeJSKernelBackend used here. */
export interface NodeBackendLike {
  binding: Binding;
  getInputTensorIds(tensors: Tensor[]): number[];
  createOutputTensor(metadata: RawHandle): Tensor;
}

/** The tfjs-node backend when it is the active one and exposes what the native kernels need. */
export function nativeBackend(tf: TF): NodeBackendLike | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const backend = tf.backend() as unknown as Partial<NodeBackendLike>;
  const binding = backend.binding as Partial<Binding> | undefined;
  if (!binding || typeof binding.executeOp !== 'function' || typeof backend.getInputTensorIds !== 'function' || typeof backend.createOutputTensor !== 'function') return null;
  return backend as NodeBackendLike;
}

const nativeExecs = new WeakMap<object, NativeExec>();

export function nativeExec(backend: NodeBackendLike): NativeExec {
  let ex = nativeExecs.get(backend.binding);
  if (!ex) {
    ex = new NativeExec(backend);
    nativeExecs.set(backend.binding, ex);
  }
  return ex;
}

export class NativeExec implements Exec<RawHandle> {
  readonly kind = 'native';
  private readonly b: Binding;
  /** Constant int32 tensors (axes, shapes, permutations) and zero tensors, by key; never freed (a few hundred bytes). */
  private readonly constants = new Map<string, RawHandle>();
  private readonly mmAttrs: OpAttr[][];
  private readonly tFloat: OpAttr;
  private readonly tInt: (name: string) => OpAttr;
  /** Number of ops run (for measurements). */
  ops = 0;

  constructor(private readonly backend: NodeBackendLike) {
    const b = backend.binding;
    this.b = b;
    const bool = (name: string, value: boolean): OpAttr => ({ name, type: b.TF_ATTR_BOOL, value });
    this.mmAttrs = [
      [bool('transpose_a', false), bool('transpose_b', false)],
      [bool('transpose_a', false), bool('transpose_b', true)],
      [bool('transpose_a', true), bool('transpose_b', false)],
      [bool('transpose_a', true), bool('transpose_b', true)],
    ];
    this.tFloat = { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT };
    this.tInt = (name: string) => ({ name, type: b.TF_ATTR_TYPE, value: b.TF_INT32 });
  }

  private int(name: string, value: number): OpAttr {
    return { name, type: this.b.TF_ATTR_INT, value };
  }

  /** Runs one TensorFlow op; single-input type attributes are inferred by TensorFlow. */
  op(name: string, inputs: RawHandle[], attrs: OpAttr[] = [], numOutputs = 1): RawHandle[] {
    this.ops++;
    const ids = new Array<number>(inputs.length);
    for (let i = 0; i < inputs.length; i++) ids[i] = inputs[i].id;
    return this.b.executeOp(name, attrs, ids, numOutputs);
  }

  private op1(name: string, inputs: RawHandle[], attrs: OpAttr[] = []): RawHandle {
    return this.op(name, inputs, attrs, 1)[0];
  }

  /** A cached int32 constant. */
  private ints(values: number[], scalar = false): RawHandle {
    const key = (scalar ? 's' : 'v') + values.join(',');
    let h = this.constants.get(key);
    if (!h) {
      const shape = scalar ? [] : [values.length];
      h = { id: this.b.createTensor(shape, this.b.TF_INT32, Int32Array.from(values)), shape, dtype: this.b.TF_INT32, borrowed: true };
      this.constants.set(key, h);
    }
    return h;
  }

  private floatZero(): RawHandle {
    let h = this.constants.get('f0');
    if (!h) {
      h = { id: this.b.createTensor([], this.b.TF_FLOAT, Float32Array.of(0)), shape: [], dtype: this.b.TF_FLOAT, borrowed: true };
      this.constants.set('f0', h);
    }
    return h;
  }

  private floatOne(): RawHandle {
    let h = this.constants.get('f1');
    if (!h) {
      h = { id: this.b.createTensor([], this.b.TF_FLOAT, Float32Array.of(1)), shape: [], dtype: this.b.TF_FLOAT, borrowed: true };
      this.constants.set('f1', h);
    }
    return h;
  }

  /** A cached zero tensor of this shape (borrowed: never free it). */
  cachedZeros(shape: number[]): RawHandle {
    const key = 'z' + shape.join(',');
    let h = this.constants.get(key);
    if (!h) {
      h = { ...this.zeros(shape), borrowed: true };
      this.constants.set(key, h);
    }
    return h;
  }

  input(t: Tensor): RawHandle {
    const [id] = this.backend.getInputTensorIds([t]);
    return { id, shape: t.shape.slice(), dtype: this.b.TF_FLOAT, borrowed: true };
  }

  output(h: RawHandle): Tensor {
    const own = h.borrowed ? this.identity(h) : h;
    return this.backend.createOutputTensor(own);
  }

  free(...hs: (RawHandle | RawHandle[] | null | undefined)[]): void {
    for (const h of hs) {
      if (!h) continue;
      if (Array.isArray(h)) {
        for (const x of h) if (x && !x.borrowed) this.b.deleteTensor(x.id);
      } else if (!h.borrowed) this.b.deleteTensor(h.id);
    }
  }

  /** Tensors alive in the addon (for leak tests). */
  liveHandles(): number {
    return this.b.getNumOfTensors();
  }

  shape(h: RawHandle): number[] {
    return h.shape;
  }

  matMul(a: RawHandle, b: RawHandle, transposeA = false, transposeB = false): RawHandle {
    return this.op1('MatMul', [a, b], this.mmAttrs[(transposeA ? 2 : 0) + (transposeB ? 1 : 0)]);
  }

  biasAdd(a: RawHandle, bias: RawHandle): RawHandle {
    return this.op1('BiasAdd', [a, bias]);
  }

  add(a: RawHandle, b: RawHandle): RawHandle {
    return this.op1('AddV2', [a, b]);
  }

  sub(a: RawHandle, b: RawHandle): RawHandle {
    return this.op1('Sub', [a, b]);
  }

  mul(a: RawHandle, b: RawHandle): RawHandle {
    return this.op1('Mul', [a, b]);
  }

  addN(list: RawHandle[]): RawHandle {
    if (list.length === 1) return this.identity(list[0]);
    if (list.length === 2) return this.add(list[0], list[1]);
    return this.op1('AddN', list, [this.int('N', list.length), this.tFloat]);
  }

  act(name: ActName, x: RawHandle): RawHandle {
    switch (name) {
      case 'tanh':
        return this.op1('Tanh', [x]);
      case 'sigmoid':
        return this.op1('Sigmoid', [x]);
      case 'relu':
        return this.op1('Relu', [x]);
      case 'linear':
        return this.identity(x);
    }
  }

  actGrad(name: ActName, y: RawHandle, dy: RawHandle): RawHandle {
    switch (name) {
      case 'tanh':
        return this.op1('TanhGrad', [y, dy]);
      case 'sigmoid':
        return this.op1('SigmoidGrad', [y, dy]);
      case 'relu':
        return this.op1('ReluGrad', [dy, y]); // relu(x) > 0 exactly where x > 0
      case 'linear':
        return this.identity(dy);
    }
  }

  split(x: RawHandle, sizes: number[], axis: number): RawHandle[] {
    const equal = sizes.every((s) => s === sizes[0]);
    if (equal) return this.op('Split', [this.ints([axis], true), x], [this.int('num_split', sizes.length), this.tFloat], sizes.length);
    return this.op('SplitV', [x, this.ints(sizes), this.ints([axis], true)], [this.int('num_split', sizes.length), this.tFloat, this.tInt('Tlen')], sizes.length);
  }

  concat(list: RawHandle[], axis: number): RawHandle {
    return this.op1('ConcatV2', [...list, this.ints([axis], true)], [this.int('N', list.length), this.tFloat, this.tInt('Tidx')]);
  }

  stack(list: RawHandle[], axis: number): RawHandle {
    return this.op1('Pack', list, [this.int('N', list.length), this.tFloat, this.int('axis', axis)]);
  }

  unstack(x: RawHandle, axis: number): RawHandle[] {
    const n = x.shape[axis];
    return this.op('Unpack', [x], [this.int('num', n), this.tFloat, this.int('axis', axis)], n);
  }

  reshape(x: RawHandle, shape: number[]): RawHandle {
    return this.op1('Reshape', [x, this.ints(shape)]);
  }

  transpose(x: RawHandle, perm: number[]): RawHandle {
    return this.op1('Transpose', [x, this.ints(perm)]);
  }

  select(cond: RawHandle, a: RawHandle, b: RawHandle): RawHandle {
    return this.op1('SelectV2', [cond, a, b]);
  }

  sum(x: RawHandle, axes: number[]): RawHandle {
    return this.op1('Sum', [x, this.ints(axes)], [{ name: 'keep_dims', type: this.b.TF_ATTR_BOOL, value: false }]);
  }

  sumRows(x: RawHandle): RawHandle {
    // ones(1, n) · x: a matrix product is about ten times faster than TensorFlow's Sum over axis 0 here.
    const ones = this.ones([1, x.shape[0]]);
    const row = this.matMul(ones, x);
    const out = this.reshape(row, [x.shape[1]]);
    this.free(ones, row);
    return out;
  }

  zeros(shape: number[]): RawHandle {
    return this.op1('Fill', [this.ints(shape), this.floatZero()]);
  }

  ones(shape: number[]): RawHandle {
    return this.op1('Fill', [this.ints(shape), this.floatOne()]);
  }

  identity(x: RawHandle): RawHandle {
    return this.op1('Identity', [x]);
  }

  lstmCellGrad(g: { csPrev: RawHandle; i: RawHandle; cs: RawHandle; f: RawHandle; o: RawHandle; ci: RawHandle; co: RawHandle; csGrad: RawHandle; hGrad: RawHandle; w: RawHandle }): [RawHandle, RawHandle] {
    const [batch, units] = g.cs.shape;
    // x, h_prev, w and b only give shapes to this op (no peepholes): x is (batch, 0), w is (0 + units, 4 units).
    const x = this.cachedZeros([batch, 0]);
    const b = this.cachedZeros([4 * units]);
    const peep = this.cachedZeros([units]);
    const out = this.op(
      'LSTMBlockCellGrad',
      [x, g.csPrev, g.csPrev, g.w, peep, peep, peep, b, g.i, g.cs, g.f, g.o, g.ci, g.co, g.csGrad, g.hGrad],
      [{ name: 'use_peephole', type: this.b.TF_ATTR_BOOL, value: false }, this.tFloat],
      5,
    );
    this.free(out[2], out[3], out[4]); // peephole gradients
    return [out[0], out[1]];
  }
}

// ---------------------------------------------------------------------------------------------
// Any backend: the same operations with tf.* (every result kept, so tidy scopes leave them alone
// and ownership is explicit, as with raw handles).

export class TfjsExec implements Exec<Tensor> {
  readonly kind = 'tfjs';
  private readonly borrowed = new WeakSet<Tensor>();

  constructor(private readonly tf: TF) {}

  private k(t: Tensor): Tensor {
    return this.tf.keep(t);
  }

  input(t: Tensor): Tensor {
    this.borrowed.add(t);
    return t;
  }

  output(h: Tensor): Tensor {
    // A kept tensor is never disposed by a scope: hand out an unkept clone.
    const out = this.tf.clone(h);
    this.free(h);
    return out;
  }

  free(...hs: (Tensor | Tensor[] | null | undefined)[]): void {
    for (const h of hs) {
      if (!h) continue;
      if (Array.isArray(h)) {
        for (const x of h) if (x && !this.borrowed.has(x)) x.dispose();
      } else if (!this.borrowed.has(h)) h.dispose();
    }
  }

  shape(h: Tensor): number[] {
    return h.shape;
  }

  matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    return this.k(this.tf.matMul(a as never, b as never, transposeA, transposeB));
  }

  biasAdd(a: Tensor, bias: Tensor): Tensor {
    return this.k(this.tf.add(a, bias));
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.k(this.tf.add(a, b));
  }

  sub(a: Tensor, b: Tensor): Tensor {
    return this.k(this.tf.sub(a, b));
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.k(this.tf.mul(a, b));
  }

  addN(list: Tensor[]): Tensor {
    if (list.length === 1) return this.identity(list[0]);
    return this.k(list.length === 2 ? this.tf.add(list[0], list[1]) : this.tf.addN(list));
  }

  act(name: ActName, x: Tensor): Tensor {
    const tf = this.tf;
    switch (name) {
      case 'tanh':
        return this.k(tf.tanh(x));
      case 'sigmoid':
        return this.k(tf.sigmoid(x));
      case 'relu':
        return this.k(tf.relu(x));
      case 'linear':
        return this.identity(x);
    }
  }

  actGrad(name: ActName, y: Tensor, dy: Tensor): Tensor {
    const tf = this.tf;
    switch (name) {
      case 'tanh':
        return this.k(tf.tidy(() => tf.mul(dy, tf.sub(1, tf.square(y)))));
      case 'sigmoid':
        return this.k(tf.tidy(() => tf.mul(dy, tf.mul(y, tf.sub(1, y)))));
      case 'relu':
        return this.k(tf.tidy(() => tf.mul(dy, tf.step(y))));
      case 'linear':
        return this.identity(dy);
    }
  }

  split(x: Tensor, sizes: number[], axis: number): Tensor[] {
    const tf = this.tf;
    if (axis === x.rank - 1 && axis > 0 && tf.getBackend() === 'cpu' && x.dtype === 'float32') {
      // The pure-JS backend slices a column block element by element (about 100 times slower than
      // copying rows); its tensors' values are plain typed arrays, so copy row pieces here.
      const values = x.dataSync() as Float32Array;
      const width = x.shape[axis];
      const rows = x.size / width;
      let offset = 0;
      return sizes.map((size) => {
        const out = new Float32Array(rows * size);
        for (let r = 0; r < rows; r++) out.set(values.subarray(r * width + offset, r * width + offset + size), r * size);
        offset += size;
        return this.k(tf.tensor(out, [...x.shape.slice(0, -1), size], 'float32'));
      });
    }
    return tf.split(x, sizes, axis).map((t) => this.k(t));
  }

  concat(list: Tensor[], axis: number): Tensor {
    return this.k(this.tf.concat(list, axis));
  }

  stack(list: Tensor[], axis: number): Tensor {
    return this.k(this.tf.stack(list, axis));
  }

  unstack(x: Tensor, axis: number): Tensor[] {
    return this.tf.unstack(x, axis).map((t) => this.k(t));
  }

  reshape(x: Tensor, shape: number[]): Tensor {
    return this.k(this.tf.reshape(x, shape));
  }

  transpose(x: Tensor, perm: number[]): Tensor {
    return this.k(this.tf.transpose(x, perm));
  }

  select(cond: Tensor, a: Tensor, b: Tensor): Tensor {
    const tf = this.tf;
    return this.k(tf.tidy(() => tf.where(tf.broadcastTo(cond, a.shape) as never, a, b)));
  }

  sum(x: Tensor, axes: number[]): Tensor {
    return this.k(this.tf.sum(x, axes));
  }

  sumRows(x: Tensor): Tensor {
    return this.k(this.tf.sum(x, 0));
  }

  zeros(shape: number[]): Tensor {
    return this.k(this.tf.zeros(shape));
  }

  ones(shape: number[]): Tensor {
    return this.k(this.tf.ones(shape));
  }

  identity(x: Tensor): Tensor {
    return this.k(this.tf.clone(x));
  }
}
