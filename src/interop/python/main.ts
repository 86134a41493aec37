/**
 * Python source of the exported Keras scripts: loading a run's trained weights (the TF.js layers
 * format RNN Studio writes: model.json + weights.bin), prediction, training and the command line.
 */

export const PY_WEIGHTS = String.raw`
# ---- Trained weights of an RNN Studio run --------------------------------------------------------


def load_run_weights(model, run_dir):
    """Sets the weights of an RNN Studio run (the TF.js layers format: model.json lists the weights
    in its weightsManifest, weights.bin holds them as little-endian float32, concatenated in
    manifest order). Each weight is named <layer>/.../<variable>; RNN Studio's layers have Keras'
    weights in Keras' order and layout (including the gate order i, f, c, o of LSTM and z, r, h of
    GRU kernels), so every Keras layer takes the weights of the layer with its name, in order. The
    names and shapes are checked: a mismatch names the layer."""
    with open(os.path.join(run_dir, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)["weightsManifest"]
    by_layer = {}
    for group in manifest:
        blob = b"".join(open(os.path.join(run_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            dtype = {"float32": "<f4", "int32": "<i4"}[spec.get("dtype", "float32")]
            count = int(np.prod(spec["shape"], dtype="int64"))
            value = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(spec["shape"])
            offset += 4 * count
            by_layer.setdefault(spec["name"].split("/")[0], []).append((spec["name"], value))
        if offset != len(blob):
            raise ValueError(f"{run_dir}: the weights files hold {len(blob)} bytes; the manifest lists {offset}.")
    for layer in model.layers:
        given = by_layer.pop(layer.name, [])
        if len(given) != len(layer.weights):
            raise ValueError(f'Layer "{layer.name}" has {len(layer.weights)} weights in Keras but the run has '
                             f"{len(given)}: {[name for name, _ in given]}. Was the run trained from this model?")
        for (name, value), variable in zip(given, layer.weights):
            if name.split("/")[-1] != variable.name or tuple(value.shape) != tuple(variable.shape):
                raise ValueError(f'Layer "{layer.name}": the run\'s {name} {tuple(value.shape)} does not fit '
                                 f"Keras' {variable.path} {tuple(variable.shape)}.")
        layer.set_weights([value for _, value in given])
    if by_layer:
        raise ValueError(f"The run has weights of layers this model does not have: {sorted(by_layer)}.")


def read_run_preprocessor(run_dir):
    """The run's preprocessor.json: its tokenizer (vocabulary) or its series scaling."""
    with open(os.path.join(run_dir, "preprocessor.json"), encoding="utf-8") as f:
        return json.load(f)
`;

export const PY_PREDICT_TEXT = String.raw`

def predict(model, preprocessor, inputs):
    """Texts -> (inputs, raw model outputs, readable predictions)."""
    x = encode_texts(preprocessor, inputs)
    outputs = model.predict(x, verbose=0)
    labels = preprocessor["labels"]
    readable = []
    for text, row in zip(inputs, outputs):
        if len(row) == 1:  # one sigmoid unit: the probability of labels[1]
            k = 1 if row[0] > 0.5 else 0
            p = float(row[0]) if k == 1 else 1.0 - float(row[0])
        else:
            k = int(np.argmax(row))
            p = float(row[k])
        readable.append({"input": text, "label": labels[k] if k < len(labels) else str(k), "probability": p})
    return x, outputs, readable
`;

export const PY_PREDICT_SERIES = String.raw`

def predict(model, preprocessor, inputs):
    """CSV files with the latest rows -> (inputs, raw model outputs, forecasts in original units)."""
    x = np.concatenate([series_input(preprocessor, path) for path in inputs])
    outputs = model.predict(x, verbose=0)
    readable = [{"input": path, "forecast": denormalize(preprocessor, row)} for path, row in zip(inputs, outputs)]
    return x, outputs, readable
`;

export const PY_STRATEGY = String.raw`

STRATEGY_CLASSES = {"mirrored": "MirroredStrategy", "multiworker": "MultiWorkerMirroredStrategy"}


def make_strategy(name):
    """tf.distribute strategy for --strategy: none, mirrored (all GPUs of this machine) or
    multiworker (several machines; each reads its role from the TF_CONFIG environment variable).
    batch_size is the global batch, split across the replicas."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None
`;

/** The command line. `{{...}}` placeholders are filled by `exportKeras`. */
export const PY_MAIN = String.raw`

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strategy", choices=["none", "mirrored", "multiworker"], default={{STRATEGY}},
                        help="train under a tf.distribute strategy (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="epochs (default: training.epochs, %s)" % TRAINING["epochs"])
    parser.add_argument("--batch-size", type=int, help="batch size (default: training.batch_size)")
    parser.add_argument("--max-samples", type=int, help="use at most this many samples (quick runs)")
    parser.add_argument("--data-root", default=DATA_ROOT,
                        help="folder with node_modules/ holding RNN Studio's built-in data sets")
    parser.add_argument("--model-dir", default=MODEL_DIR, help="folder that relative data paths start from")
    parser.add_argument("--weights", nargs="?", const=RUN_DIR, metavar="RUN_DIR",
                        help="load the trained weights of an RNN Studio run folder{{RUN_HELP}}")
    parser.add_argument("--predict", nargs="+", metavar={{PREDICT_METAVAR}}, help={{PREDICT_HELP}})
    parser.add_argument("--save-predictions", metavar="FILE", help="write the predictions as JSON")
    parser.add_argument("--summary-only", action="store_true", help="print model.summary() and exit")
    parser.add_argument("--save", metavar="FILE", help="save the trained model (e.g. model.keras)")
    parser.add_argument("--dump-data", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.weights is None and "--weights" in (argv if argv is not None else sys.argv):
        parser.error("--weights needs a run folder (this script was exported without one)")
    return args


def main(argv=None):
    global DATA_ROOT, MODEL_DIR
    args = parse_args(argv)
    DATA_ROOT, MODEL_DIR = args.data_root, args.model_dir
    strategy = make_strategy(args.strategy)  # first: MultiWorkerMirroredStrategy must come before other ops
    if TRAINING["seed"] is not None:
        keras.utils.set_random_seed(TRAINING["seed"])
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = build_model()
        compile_model(model)
    if strategy:
        print(f"strategy: tf.distribute.{STRATEGY_CLASSES[args.strategy]} ({type(strategy).__name__}) with "
              f"{strategy.num_replicas_in_sync} replica(s)")
    model.summary()
    if args.summary_only:
        return 0
    if args.weights:
        load_run_weights(model, args.weights)
        print(f"loaded the weights of {args.weights}")
        if args.predict:  # the run's own tokenizer / scaling: the inputs the weights were trained on
            return show_predictions(args, model, read_run_preprocessor(args.weights))
    splits, preprocessor = load_data(args.max_samples)
    if args.dump_data:
        dump_data(args.dump_data, splits, preprocessor)
        return 0
    if args.weights and preprocessor.get("tokenizer", {}).get("type") == "keras":
        if read_run_preprocessor(args.weights)["tokenizer"]["vocabulary"] != preprocessor["tokenizer"]["vocabulary"]:
            print("warning: the tokenizer fitted here differs from the run's (other data or --max-samples?), "
                  "so token ids do not mean what the loaded weights learned.", file=sys.stderr)
    x_train, y_train = splits["train"]
    print(f"data: {len(x_train)} train, {len(splits['validation'][0]) if splits['validation'] else 0} validation, "
          f"{len(splits['test'][0]) if splits['test'] else 0} test samples")
    epochs = TRAINING["epochs"] if args.epochs is None else args.epochs
    batch_size = args.batch_size or TRAINING["batch_size"]
    if epochs > 0:
        model.fit(x_train, y_train, validation_data=splits["validation"], epochs=epochs, batch_size=batch_size,
                  shuffle=TRAINING["shuffle"], callbacks=make_callbacks(), verbose=2)
    if splits["test"] is not None:
        metrics = model.evaluate(*splits["test"], batch_size=batch_size, return_dict=True, verbose=0)
        if preprocessor["kind"] == "timeseries":
            predicted = model.predict(splits["test"][0], verbose=0)
            truth, guess = denormalize(preprocessor, splits["test"][1]), denormalize(preprocessor, predicted)
            metrics["mae_original_units"] = float(np.mean(np.abs(np.subtract(guess, truth))))
        print("test: " + " - ".join(f"{k} {float(v):.4f}" for k, v in metrics.items()))
    if args.save:
        model.save(args.save)
        print(f"saved {args.save}")
    if args.predict:
        return show_predictions(args, model, preprocessor)
    return 0


def show_predictions(args, model, preprocessor):
    x, outputs, readable = predict(model, preprocessor, args.predict)
    for r in readable:
        print(json.dumps(r, ensure_ascii=False))
    if args.save_predictions:
        with open(args.save_predictions, "w", encoding="utf-8") as f:
            json.dump({"inputs": args.predict, "x": x.tolist(), "outputs": outputs.tolist(), "predictions": readable}, f)
    return 0


def dump_data(path, splits, preprocessor):
    """The prepared data as digests (for checking that it equals RNN Studio's)."""
    import hashlib

    def digest(a):
        a = np.ascontiguousarray(a, dtype="<i4" if a.dtype.kind in "iu" else "<f4")
        return {"shape": list(a.shape), "dtype": "int32" if a.dtype.kind == "i" else "float32",
                "sha256": hashlib.sha256(a.tobytes()).hexdigest(), "head": a.ravel()[:8].tolist()}

    out = {"preprocessor": preprocessor,
           "splits": {name: None if s is None else {"x": digest(s[0]), "y": digest(s[1])} for name, s in splits.items()}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as error:  # a problem with the data or its settings: say what, without a traceback
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
`;
