import type { RecurrentKind } from '../rnn';
import type { ActName, Exec } from './exec';

/**
 * Whole-sequence forward and hand-written backward (BPTT) of Keras' SimpleRNN, GRU (both reset_after
 * modes) and LSTM, with Keras' maths, masking, go_backwards and zero_output_for_mask semantics.
 *
 * Layout: time-major inside. The input projection `x·W + b` is one matrix product for all timesteps;
 * the recurrence runs step by step with as few ops as possible; the backward pass walks the steps in
 * reverse with only the ops that must be sequential (the gate gradients and `dz·Uᵀ`), and computes
 * every weight gradient afterwards as ONE matrix product over all timesteps:
 *   dU = [h₀ … h_{T-1}]ᵀ · [dz₁ … dz_T],  dW = Xᵀ · DZ,  dX = DZ · Wᵀ,  db = Σ DZ.
 * LSTM with Keras' default activations uses TensorFlow's `LSTMBlockCellGrad` for a step's gate
 * gradients when the executor has it (one op instead of a dozen).
 *
 * Notation: B batch, T timesteps, d input features, u units. Processing step k reads timestep
 * t = k (or T-1-k with go_backwards); per-timestep arrays are indexed by t, per-step ones by k.
 */

export interface SeqSpec {
  kind: RecurrentKind;
  units: number;
  activation: ActName;
  recurrentActivation: ActName;
  /** GRU only. */
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  zeroOutputForMask: boolean;
}

export interface SeqRun<H> {
  /** (B, u), or (B, T, u) with return_sequences (in processing order, as Keras). The caller consumes it. */
  output: H;
  /**
   * Gradients [dx, dkernel, drecurrent_kernel, (dbias)] in Keras' layouts, from the output gradient.
   * Frees everything the forward pass kept; call at most once.
   */
  backward(dy: H): H[];
  /** Frees what the forward pass kept, when no backward pass will come. */
  release(): void;
}

export interface SeqInputs<H> {
  /** (B, T, d) */
  x: H;
  /** (d, G·u), Keras gate order */
  kernel: H;
  /** (u, G·u) */
  recurrentKernel: H;
  /** (G·u,), or (2, 3u) for GRU reset_after; null without bias */
  bias: H | null;
  /** (T, B, 1) bool, time-major; null without mask */
  mask: H | null;
}

/** `training`: keep what the backward pass needs (else everything but the output is freed at once). */
export function runSequenceFused<H>(ex: Exec<H>, spec: SeqSpec, inputs: SeqInputs<H>, training: boolean): SeqRun<H> {
  switch (spec.kind) {
    case 'SimpleRNN':
      return simpleRnn(ex, spec, inputs, training);
    case 'GRU':
      return spec.resetAfter ? gruResetAfter(ex, spec, inputs, training) : gruResetBefore(ex, spec, inputs, training);
    case 'LSTM':
      return lstm(ex, spec, inputs, training);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

interface Frame<H> {
  B: number;
  T: number;
  d: number;
  u: number;
  /**
   * x time-major, flattened: (T·B, d), with a column of ones appended when the layer has an input
   * bias, (T·B, d + 1): then x·[W; b] is the projection with its bias, and xᵀ·DZ gives [dW; db] in
   * one product (instead of a bias addition and a column sum over T·B rows).
   */
  x2: H;
  withOnes: boolean;
  /** timestep of processing step k */
  tk: (k: number) => number;
  /** per-timestep masks (B, 1) bool, or null */
  masks: H[] | null;
  /** zeros (B, u), owned by the frame */
  zero: H;
}

function frame<H>(ex: Exec<H>, spec: SeqSpec, inputs: SeqInputs<H>, withOnes: boolean): Frame<H> {
  const [B, T, d] = ex.shape(inputs.x);
  const u = spec.units;
  const xt = ex.transpose(inputs.x, [1, 0, 2]);
  let x2 = ex.reshape(xt, [T * B, d]);
  ex.free(xt);
  if (withOnes) {
    const ones = ex.ones([T * B, 1]);
    const xa = ex.concat([x2, ones], 1);
    ex.free(x2, ones);
    x2 = xa;
  }
  const masks = inputs.mask ? ex.unstack(inputs.mask, 0) : null;
  return { B, T, d, u, x2, withOnes, tk: spec.goBackwards ? (k) => T - 1 - k : (k) => k, masks, zero: ex.zeros([B, u]) };
}

function freeFrame<H>(ex: Exec<H>, f: Frame<H>): void {
  ex.free(f.x2, f.masks, f.zero);
}

/**
 * x·W + b for every timestep, split into per-timestep pieces of the given widths: pieces[j][t] is
 * (B, sizes[j]). `bias` must be given exactly when the frame has its column of ones.
 */
function project<H>(ex: Exec<H>, f: Frame<H>, kernel: H, bias: H | null, sizes: number[]): H[][] {
  const width = sizes.reduce((a, b) => a + b, 0);
  let xp: H;
  if (bias) {
    const row = ex.reshape(bias, [1, width]);
    const kb = ex.concat([kernel, row], 0);
    xp = ex.matMul(f.x2, kb);
    ex.free(row, kb);
  } else xp = ex.matMul(f.x2, kernel);
  const xp3 = ex.reshape(xp, [f.T, f.B, width]);
  ex.free(xp);
  if (sizes.length === 1) {
    const steps = ex.unstack(xp3, 0);
    ex.free(xp3);
    return [steps];
  }
  const parts = ex.split(xp3, sizes, 2);
  ex.free(xp3);
  const out = parts.map((p) => ex.unstack(p, 0));
  ex.free(parts);
  return out;
}

/** Gradients of the input projection from DXP (T·B, G·u): [dx (B, T, d), dW (d, G·u), db (G·u,) or null]. */
function inputGrads<H>(ex: Exec<H>, f: Frame<H>, kernel: H, dxp: H): [H, H, H | null] {
  const dWb = ex.matMul(f.x2, dxp, true, false);
  let dW = dWb;
  let db: H | null = null;
  if (f.withOnes) {
    const [w, b] = ex.split(dWb, [f.d, 1], 0);
    ex.free(dWb);
    dW = w;
    db = ex.reshape(b, [ex.shape(dxp)[1]]);
    ex.free(b);
  }
  const dx2 = ex.matMul(dxp, kernel, false, true);
  const dx3 = ex.reshape(dx2, [f.T, f.B, f.d]);
  ex.free(dx2);
  const dx = ex.transpose(dx3, [1, 0, 2]);
  ex.free(dx3);
  return [dx, dW, db];
}

/** Stacks per-timestep (B, w) pieces into (T·B, w). Frees the pieces. */
function stackSteps<H>(ex: Exec<H>, f: Frame<H>, pieces: H[]): H {
  const s = ex.stack(pieces, 0);
  ex.free(pieces);
  const w = ex.shape(s)[2];
  const r = ex.reshape(s, [f.T * f.B, w]);
  ex.free(s);
  return r;
}

/** Stacks the states before every timestep's step, (T·B, u), without freeing them. */
function statesBefore<H>(ex: Exec<H>, f: Frame<H>, S: H[]): H {
  const byTime = new Array<H>(f.T);
  for (let k = 0; k < f.T; k++) byTime[f.tk(k)] = S[k];
  const s = ex.stack(byTime, 0);
  const r = ex.reshape(s, [f.T * f.B, f.u]);
  ex.free(s);
  return r;
}

/** Reorders the gate blocks (each u wide) of the last axis: result block j = input block order[j]. */
function permuteGates<H>(ex: Exec<H>, w: H, order: number[], u: number): H {
  const shape = ex.shape(w);
  const axis = shape.length - 1;
  const parts = ex.split(w, order.map(() => u), axis);
  const out = ex.concat(order.map((j) => parts[j]), axis);
  ex.free(parts);
  return out;
}

/**
 * The layer output from the states after each step, S[1..T] (processing order), with Keras'
 * zero_output_for_mask. Does not free S.
 */
function layerOutput<H>(ex: Exec<H>, spec: SeqSpec, f: Frame<H>, S: H[]): H {
  const zeroed = spec.zeroOutputForMask && f.masks;
  const out = (k: number) => (zeroed ? ex.select(f.masks![f.tk(k)], S[k + 1], f.zero) : S[k + 1]);
  if (!spec.returnSequences) {
    const last = out(f.T - 1);
    return zeroed ? last : ex.identity(last);
  }
  const seq = Array.from({ length: f.T }, (_, k) => out(k));
  const y = ex.stack(seq, 1);
  if (zeroed) ex.free(seq);
  return y;
}

/**
 * The output gradient per processing step (`perStep[k]`, (B, u), only with return_sequences) and the
 * gradient flowing into the last state, with zero_output_for_mask applied. The caller frees them
 * (`last` is `perStep[T-1]` with return_sequences).
 */
function outputGrads<H>(ex: Exec<H>, spec: SeqSpec, f: Frame<H>, dy: H): { perStep: H[] | null; last: H } {
  const zeroed = spec.zeroOutputForMask && f.masks;
  const gate = (k: number, g: H) => {
    if (!zeroed) return g;
    const r = ex.select(f.masks![f.tk(k)], g, f.zero);
    ex.free(g);
    return r;
  };
  if (!spec.returnSequences) return { perStep: null, last: zeroed ? ex.select(f.masks![f.tk(f.T - 1)], dy, f.zero) : dy };
  const perStep = ex.unstack(dy, 1).map((g, k) => gate(k, g));
  return { perStep, last: perStep[f.T - 1] };
}

/**
 * Splits the gradient flowing into the state after step k between the step's own result and the
 * carried-over previous state (masked steps): returns [into the new value, carried over or null].
 */
function routeMask<H>(ex: Exec<H>, f: Frame<H>, k: number, g: H): [H, H | null] {
  if (!f.masks) return [g, null];
  const m = f.masks[f.tk(k)];
  return [ex.select(m, g, f.zero), ex.select(m, f.zero, g)];
}

/** Gradient into the state before step k: the recurrent product plus the carried and output gradients. */
function stateGrad<H>(ex: Exec<H>, terms: (H | null)[]): H {
  const list = terms.filter((t): t is H => t !== null);
  if (list.length === 1) return list[0];
  const r = ex.addN(list);
  ex.free(list);
  return r;
}

// ---------------------------------------------------------------------------------------------
// SimpleRNN: h' = act(x·W + b + h·U)

function simpleRnn<H>(ex: Exec<H>, spec: SeqSpec, inputs: SeqInputs<H>, training: boolean): SeqRun<H> {
  const f = frame(ex, spec, inputs, inputs.bias !== null);
  const { T } = f;
  const U = inputs.recurrentKernel;
  const [XP] = project(ex, f, inputs.kernel, inputs.bias, [f.u]);
  const S: H[] = [f.zero]; // state before step k (S[0] = zeros, owned by the frame)
  const N: H[] = []; // activation output of step k (= S[k+1] without mask)
  for (let k = 0; k < T; k++) {
    const t = f.tk(k);
    const r = ex.matMul(S[k], U);
    const pre = ex.add(r, XP[t]);
    ex.free(r, XP[t]);
    const n = ex.act(spec.activation, pre);
    ex.free(pre);
    N.push(n);
    S.push(f.masks ? ex.select(f.masks[t], n, S[k]) : n);
  }
  const output = layerOutput(ex, spec, f, S);
  const release = () => {
    ex.free(N);
    if (f.masks) ex.free(S.slice(1));
    freeFrame(ex, f);
  };
  if (!training) {
    release();
    return { output, backward: () => [], release: () => {} };
  }
  return {
    output,
    release,
    backward(dy: H): H[] {
      const { perStep, last } = outputGrads(ex, spec, f, dy);
      const UT = ex.transpose(U, [1, 0]);
      const DZ = new Array<H>(T);
      let dH = last;
      for (let k = T - 1; k >= 0; k--) {
        const [dn, carry] = routeMask(ex, f, k, dH);
        const dz = ex.actGrad(spec.activation, N[k], dn);
        if (dn !== dH) ex.free(dn);
        ex.free(dH);
        DZ[f.tk(k)] = dz;
        if (k > 0) dH = stateGrad(ex, [ex.matMul(dz, UT), carry, perStep ? perStep[k - 1] : null]);
        else ex.free(carry);
      }
      ex.free(UT);
      const DZ2 = stackSteps(ex, f, DZ);
      const Sp = statesBefore(ex, f, S);
      const dU = ex.matMul(Sp, DZ2, true, false);
      ex.free(Sp);
      const [dx, dW, db] = inputGrads(ex, f, inputs.kernel, DZ2);
      ex.free(DZ2);
      release();
      return db ? [dx, dW, dU, db] : [dx, dW, dU];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GRU, reset_after (Keras 3 default): inner = h·U + b_rec; z, r = σ(x_zr + inner_zr);
// ĥ = act(x_h + r ⊙ inner_h); h' = ĥ + z ⊙ (h − ĥ)  (= z ⊙ h + (1 − z) ⊙ ĥ)

function gruResetAfter<H>(ex: Exec<H>, spec: SeqSpec, inputs: SeqInputs<H>, training: boolean): SeqRun<H> {
  const f = frame(ex, spec, inputs, inputs.bias !== null);
  const { T, u } = f;
  const U = inputs.recurrentKernel;
  let bIn: H | null = null;
  let bRec: H | null = null;
  if (inputs.bias) {
    const [b0, b1] = ex.split(inputs.bias, [1, 1], 0);
    bIn = ex.reshape(b0, [3 * u]);
    bRec = ex.reshape(b1, [3 * u]);
    ex.free(b0, b1);
  }
  const [XZR, XH] = project(ex, f, inputs.kernel, bIn, [2 * u, u]);
  const S: H[] = [f.zero];
  const saved: { z: H; r: H; zr: H; ih: H; hh: H; dl: H; n: H }[] = [];
  for (let k = 0; k < T; k++) {
    const t = f.tk(k);
    const h = S[k];
    let inner = ex.matMul(h, U);
    if (bRec) {
      const withBias = ex.biasAdd(inner, bRec);
      ex.free(inner);
      inner = withBias;
    }
    const [izr, ih] = ex.split(inner, [2 * u, u], 1);
    ex.free(inner);
    const pzr = ex.add(XZR[t], izr);
    ex.free(izr, XZR[t]);
    const zr = ex.act(spec.recurrentActivation, pzr);
    ex.free(pzr);
    const [z, r] = ex.split(zr, [u, u], 1);
    const rih = ex.mul(r, ih);
    const a = ex.add(XH[t], rih);
    ex.free(rih, XH[t]);
    const hh = ex.act(spec.activation, a);
    ex.free(a);
    const dl = ex.sub(h, hh);
    const zd = ex.mul(z, dl);
    const n = ex.add(hh, zd);
    ex.free(zd);
    saved.push({ z, r, zr, ih, hh, dl, n });
    S.push(f.masks ? ex.select(f.masks[t], n, h) : n);
  }
  const output = layerOutput(ex, spec, f, S);
  const release = () => {
    for (const s of saved) ex.free(s.z, s.r, s.zr, s.ih, s.hh, s.dl, s.n);
    if (f.masks) ex.free(S.slice(1));
    ex.free(bIn, bRec);
    freeFrame(ex, f);
  };
  if (!training) {
    release();
    return { output, backward: () => [], release: () => {} };
  }
  return {
    output,
    release,
    backward(dy: H): H[] {
      const { perStep, last } = outputGrads(ex, spec, f, dy);
      const UT = ex.transpose(U, [1, 0]);
      const DINNER = new Array<H>(T);
      const DXP = new Array<H>(T);
      let dH = last;
      for (let k = T - 1; k >= 0; k--) {
        const s = saved[k];
        const [dn, carry] = routeMask(ex, f, k, dH);
        const dz = ex.mul(dn, s.dl);
        const dhz = ex.mul(dn, s.z);
        const dhh = ex.sub(dn, dhz);
        if (dn !== dH) ex.free(dn);
        ex.free(dH);
        const da = ex.actGrad(spec.activation, s.hh, dhh);
        ex.free(dhh);
        const dr = ex.mul(da, s.ih);
        const dih = ex.mul(da, s.r);
        const dzrIn = ex.concat([dz, dr], 1);
        ex.free(dz, dr);
        const dzr = ex.actGrad(spec.recurrentActivation, s.zr, dzrIn);
        ex.free(dzrIn);
        const dinner = ex.concat([dzr, dih], 1);
        ex.free(dih);
        const t = f.tk(k);
        DXP[t] = ex.concat([dzr, da], 1);
        ex.free(dzr, da);
        DINNER[t] = dinner;
        if (k > 0) dH = stateGrad(ex, [ex.matMul(dinner, UT), dhz, carry, perStep ? perStep[k - 1] : null]);
        else ex.free(dhz, carry);
      }
      ex.free(UT);
      const DI = stackSteps(ex, f, DINNER);
      const Sp = statesBefore(ex, f, S);
      const dU = ex.matMul(Sp, DI, true, false);
      ex.free(Sp);
      const dbRec = inputs.bias ? ex.sumRows(DI) : null;
      ex.free(DI);
      const D = stackSteps(ex, f, DXP);
      const [dx, dW, dbIn] = inputGrads(ex, f, inputs.kernel, D);
      ex.free(D);
      release();
      if (!dbIn || !dbRec) return [dx, dW, dU];
      const db = ex.stack([dbIn, dbRec], 0);
      ex.free(dbIn, dbRec);
      return [dx, dW, dU, db];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GRU, reset_after=False: z, r = σ(x_zr + h·U_zr); ĥ = act(x_h + (r ⊙ h)·U_h); h' = ĥ + z ⊙ (h − ĥ)

function gruResetBefore<H>(ex: Exec<H>, spec: SeqSpec, inputs: SeqInputs<H>, training: boolean): SeqRun<H> {
  const f = frame(ex, spec, inputs, inputs.bias !== null);
  const { T, u } = f;
  const [Uzr, Uh] = ex.split(inputs.recurrentKernel, [2 * u, u], 1);
  const [XZR, XH] = project(ex, f, inputs.kernel, inputs.bias, [2 * u, u]);
  const S: H[] = [f.zero];
  const saved: { z: H; r: H; zr: H; rh: H; hh: H; dl: H; n: H }[] = [];
  for (let k = 0; k < T; k++) {
    const t = f.tk(k);
    const h = S[k];
    const izr = ex.matMul(h, Uzr);
    const pzr = ex.add(XZR[t], izr);
    ex.free(izr, XZR[t]);
    const zr = ex.act(spec.recurrentActivation, pzr);
    ex.free(pzr);
    const [z, r] = ex.split(zr, [u, u], 1);
    const rh = ex.mul(r, h);
    const ah = ex.matMul(rh, Uh);
    const a = ex.add(XH[t], ah);
    ex.free(ah, XH[t]);
    const hh = ex.act(spec.activation, a);
    ex.free(a);
    const dl = ex.sub(h, hh);
    const zd = ex.mul(z, dl);
    const n = ex.add(hh, zd);
    ex.free(zd);
    saved.push({ z, r, zr, rh, hh, dl, n });
    S.push(f.masks ? ex.select(f.masks[t], n, h) : n);
  }
  const output = layerOutput(ex, spec, f, S);
  const release = () => {
    for (const s of saved) ex.free(s.z, s.r, s.zr, s.rh, s.hh, s.dl, s.n);
    if (f.masks) ex.free(S.slice(1));
    ex.free(Uzr, Uh);
    freeFrame(ex, f);
  };
  if (!training) {
    release();
    return { output, backward: () => [], release: () => {} };
  }
  return {
    output,
    release,
    backward(dy: H): H[] {
      const { perStep, last } = outputGrads(ex, spec, f, dy);
      const UzrT = ex.transpose(Uzr, [1, 0]);
      const UhT = ex.transpose(Uh, [1, 0]);
      const DZR = new Array<H>(T);
      const DA = new Array<H>(T);
      const DXP = new Array<H>(T);
      const RH = new Array<H>(T);
      let dH = last;
      for (let k = T - 1; k >= 0; k--) {
        const s = saved[k];
        const h = S[k];
        const [dn, carry] = routeMask(ex, f, k, dH);
        const dz = ex.mul(dn, s.dl);
        const dhz = ex.mul(dn, s.z);
        const dhh = ex.sub(dn, dhz);
        if (dn !== dH) ex.free(dn);
        ex.free(dH);
        const da = ex.actGrad(spec.activation, s.hh, dhh);
        ex.free(dhh);
        const drh = ex.matMul(da, UhT);
        const dr = ex.mul(drh, h);
        const dhr = ex.mul(drh, s.r);
        ex.free(drh);
        const dzrIn = ex.concat([dz, dr], 1);
        ex.free(dz, dr);
        const dzr = ex.actGrad(spec.recurrentActivation, s.zr, dzrIn);
        ex.free(dzrIn);
        const t = f.tk(k);
        DXP[t] = ex.concat([dzr, da], 1);
        DZR[t] = dzr;
        DA[t] = da;
        RH[t] = s.rh;
        if (k > 0) dH = stateGrad(ex, [ex.matMul(dzr, UzrT), dhz, dhr, carry, perStep ? perStep[k - 1] : null]);
        else ex.free(dhz, dhr, carry);
      }
      ex.free(UzrT, UhT);
      const Sp = statesBefore(ex, f, S);
      const DZR2 = stackSteps(ex, f, DZR);
      const dUzr = ex.matMul(Sp, DZR2, true, false);
      ex.free(Sp, DZR2);
      const RH2 = stackSteps(ex, f, RH); // frees the saved rh
      for (const s of saved) s.rh = null as unknown as H;
      const DA2 = stackSteps(ex, f, DA);
      const dUh = ex.matMul(RH2, DA2, true, false);
      ex.free(RH2, DA2);
      const dU = ex.concat([dUzr, dUh], 1);
      ex.free(dUzr, dUh);
      const D = stackSteps(ex, f, DXP);
      const [dx, dW, db] = inputGrads(ex, f, inputs.kernel, D);
      ex.free(D);
      release();
      return db ? [dx, dW, dU, db] : [dx, dW, dU];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// LSTM (Keras gate order i, f, c, o): z = x·W + b + h·U; i, f, o = σ(z_i, z_f, z_o); g = act(z_c);
// c' = f ⊙ c + i ⊙ g; h' = o ⊙ act(c').
// Inside, the forward pass uses the order i, f, o, c (one sigmoid over 3u columns, one tanh over u);
// the backward pass with LSTMBlockCellGrad produces TensorFlow's order i, c, f, o.

const KERAS_TO_IFOC = [0, 1, 3, 2];
const KERAS_TO_ICFO = [0, 2, 1, 3];

function lstm<H>(ex: Exec<H>, spec: SeqSpec, inputs: SeqInputs<H>, training: boolean): SeqRun<H> {
  const f = frame(ex, spec, inputs, inputs.bias !== null);
  const { T, u } = f;
  const block = training && ex.lstmCellGrad !== undefined && spec.activation === 'tanh' && spec.recurrentActivation === 'sigmoid';
  const W = permuteGates(ex, inputs.kernel, KERAS_TO_IFOC, u);
  const Uf = permuteGates(ex, inputs.recurrentKernel, KERAS_TO_IFOC, u);
  const b = inputs.bias ? permuteGates(ex, inputs.bias, KERAS_TO_IFOC, u) : null;
  const [XP] = project(ex, f, W, b, [4 * u]);
  ex.free(b);
  const S: H[] = [f.zero];
  const C: H[] = [f.zero];
  const saved: { s: H | null; i: H; f: H; o: H; g: H; cn: H; co: H; hn: H }[] = [];
  for (let k = 0; k < T; k++) {
    const t = f.tk(k);
    const h = S[k];
    const c = C[k];
    const rz = ex.matMul(h, Uf);
    const z = ex.add(rz, XP[t]);
    ex.free(rz, XP[t]);
    const [zs, zc] = ex.split(z, [3 * u, u], 1);
    ex.free(z);
    const s = ex.act(spec.recurrentActivation, zs);
    const g = ex.act(spec.activation, zc);
    ex.free(zs, zc);
    const [i, fg, o] = ex.split(s, [u, u, u], 1);
    const fc = ex.mul(fg, c);
    const ig = ex.mul(i, g);
    const cn = ex.add(fc, ig);
    ex.free(fc, ig);
    const co = ex.act(spec.activation, cn);
    const hn = ex.mul(o, co);
    if (block) ex.free(s);
    saved.push({ s: block ? null : s, i, f: fg, o, g, cn, co, hn });
    if (f.masks) {
      S.push(ex.select(f.masks[t], hn, h));
      C.push(ex.select(f.masks[t], cn, c));
    } else {
      S.push(hn);
      C.push(cn);
    }
  }
  const output = layerOutput(ex, spec, f, S);
  const release = () => {
    for (const s of saved) ex.free(s.s, s.i, s.f, s.o, s.g, s.cn, s.co, s.hn);
    if (f.masks) ex.free(S.slice(1), C.slice(1));
    ex.free(W, Uf);
    freeFrame(ex, f);
  };
  if (!training) {
    release();
    return { output, backward: () => [], release: () => {} };
  }
  return {
    output,
    release,
    backward(dy: H): H[] {
      const { perStep, last } = outputGrads(ex, spec, f, dy);
      // Gate gradients per timestep, in the order of `order` (Keras index of each block).
      const order = block ? KERAS_TO_ICFO : KERAS_TO_IFOC;
      const Ub = block ? permuteGates(ex, inputs.recurrentKernel, KERAS_TO_ICFO, u) : Uf;
      const UbT = ex.transpose(Ub, [1, 0]);
      const DZ = new Array<H>(T);
      let dH = last;
      let dC = f.zero;
      for (let k = T - 1; k >= 0; k--) {
        const s = saved[k];
        const [dhn, carryH] = routeMask(ex, f, k, dH);
        const [dcn, carryC] = routeMask(ex, f, k, dC);
        let dcPrev: H;
        let dz: H;
        if (block) {
          [dcPrev, dz] = ex.lstmCellGrad!({ csPrev: C[k], i: s.i, cs: s.cn, f: s.f, o: s.o, ci: s.g, co: s.co, csGrad: dcn, hGrad: dhn, w: Ub });
        } else {
          const dOut = ex.mul(dhn, s.co);
          const dco = ex.mul(dhn, s.o);
          const dcAct = ex.actGrad(spec.activation, s.co, dco);
          ex.free(dco);
          const dcs = ex.add(dcn, dcAct);
          ex.free(dcAct);
          const di = ex.mul(dcs, s.g);
          const df = ex.mul(dcs, C[k]);
          const dg = ex.mul(dcs, s.i);
          dcPrev = ex.mul(dcs, s.f);
          ex.free(dcs);
          const dsIn = ex.concat([di, df, dOut], 1);
          ex.free(di, df, dOut);
          const dzs = ex.actGrad(spec.recurrentActivation, s.s!, dsIn);
          const dzc = ex.actGrad(spec.activation, s.g, dg);
          ex.free(dsIn, dg);
          dz = ex.concat([dzs, dzc], 1);
          ex.free(dzs, dzc);
        }
        if (dhn !== dH) ex.free(dhn);
        if (dcn !== dC) ex.free(dcn);
        ex.free(dH);
        if (dC !== f.zero) ex.free(dC);
        DZ[f.tk(k)] = dz;
        if (k > 0) {
          dH = stateGrad(ex, [ex.matMul(dz, UbT), carryH, perStep ? perStep[k - 1] : null]);
          dC = carryC ? stateGrad(ex, [dcPrev, carryC]) : dcPrev;
        } else ex.free(carryH, carryC, dcPrev);
      }
      ex.free(UbT);
      const DZ2 = stackSteps(ex, f, DZ);
      const Sp = statesBefore(ex, f, S);
      const dUo = ex.matMul(Sp, DZ2, true, false);
      ex.free(Sp);
      const Wb = block ? permuteGates(ex, inputs.kernel, KERAS_TO_ICFO, u) : W;
      const [dx, dWo, dbo] = inputGrads(ex, f, Wb, DZ2);
      ex.free(DZ2);
      if (block) ex.free(Wb, Ub);
      release();
      // Back to Keras' order (both permutations are their own inverse).
      const dW = permuteGates(ex, dWo, order, u);
      const dU = permuteGates(ex, dUo, order, u);
      ex.free(dWo, dUo);
      if (!dbo) return [dx, dW, dU];
      const db = permuteGates(ex, dbo, order, u);
      ex.free(dbo);
      return [dx, dW, dU, db];
    },
  };
}
