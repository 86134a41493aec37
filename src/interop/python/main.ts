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


def read_run_json(run_dir, name, default=None):
    """A JSON file of the run folder: preprocessor.json (its tokenizer or series scaling) or
    settings.json (what produced the weights: max_samples, seed, and the test metrics it had)."""
    path = os.path.join(run_dir, name)
    if default is not None and not os.path.isfile(path):
        return default
    with open(path, encoding="utf-8") as f:
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

export const PY_WORKERS = String.raw`

# ---- Several worker processes (data parallel) ---------------------------------------------------
# Keras 3's model.fit cannot train under tf.distribute.MultiWorkerMirroredStrategy with more than one
# worker (keras-team/keras#20585), so the workers run this short training step instead: each worker
# computes the gradient of its share of every global batch, the Keras optimizer sums the gradients of
# all workers (an all-reduce over the network) and applies the same update everywhere.


class WorkerError(Exception):
    """A worker that cannot work with its peers; the message says which and what to check."""


class Workers:
    """This process's place among --workers: TF_CONFIG for tf.distribute, a deadline to meet the
    peers, and the strategy. Worker 0 is the chief: it alone prints the log and saves."""

    def __init__(self, addresses, index, timeout):
        self.addresses = [a.strip() for a in addresses.split(",") if a.strip()]
        for a in self.addresses:
            host, _, port = a.rpartition(":")
            if not host or not port.isdigit():
                raise WorkerError(f"--workers: {a!r} is not HOST:PORT (e.g. 10.0.0.1:12345).")
        if index is None or not 0 <= index < len(self.addresses):
            raise WorkerError(f"--worker-index must be 0..{len(self.addresses) - 1} (this process's place in --workers).")
        self.index, self.count, self.timeout = index, len(self.addresses), timeout
        self.chief = index == 0

    def start(self):
        """The strategy, once every worker has answered (before any other TensorFlow op)."""
        self.meet_peers()
        os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": self.addresses},
                                              "task": {"type": "worker", "index": self.index}})
        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=self.timeout)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        # TensorFlow's preemption notifier has taken SIGTERM over (it only logs it): give it back.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        return strategy

    def meet_peers(self):
        """Waits until every peer's port answers, for at most --timeout seconds. TensorFlow would
        wait for missing peers forever, inside C++ (deaf to timers and signals), so this happens
        first, in Python: this worker listens on its own port meanwhile, so its peers see it."""
        host, _, port = self.addresses[self.index].rpartition(":")
        listener = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("", int(port)))
        except OSError as e:
            raise WorkerError(f"worker {self.index} cannot listen on port {port} ({e.strerror}): is another "
                              "process using it? Pick a free port in --workers.") from None
        listener.listen(16)  # peers' connections complete in the backlog; nothing to accept
        waiting = [a for i, a in enumerate(self.addresses) if i != self.index]
        if waiting:
            print(f"worker {self.index}: waiting for {', '.join(waiting)} (up to {self.timeout:g} s)", flush=True)
        deadline = time.monotonic() + self.timeout
        try:
            while waiting:
                waiting = [a for a in waiting if not reachable(a)]
                if waiting and time.monotonic() > deadline:
                    raise WorkerError(
                        f"worker {self.index} could not reach {', '.join(waiting)} within {self.timeout:g} s "
                        "(--timeout). Start every worker with the same --workers list and its own "
                        "--worker-index, and check that the hosts and ports are reachable.")
                if waiting:
                    time.sleep(0.2)
        finally:
            listener.close()


def reachable(address):
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
            return True
    except OSError:
        return False


def train_together(strategy, workers, model, splits, epochs, batch_size, log_path):
    """Trains model (built outside the strategy) on all workers; returns the epoch logs. Every
    worker visits the same seeded order of the training samples; each takes its share of every
    global batch of batch_size samples, so the update equals one process's on the whole batch."""
    with strategy.scope():
        replica_model = build_model()
        compile_model(replica_model)
        replica_model.set_weights(model.get_weights())
        optimizer = replica_model.optimizer
        optimizer.build(replica_model.trainable_variables)
    loss_fn = keras.losses.get(replica_model.loss)
    x_train, y_train = splits["train"]
    n = len(x_train)

    def replica_step(x, y, global_size):
        with tf.GradientTape() as tape:
            per_sample = loss_fn(y, replica_model(x, training=True))
            elements = tf.cast(tf.reduce_prod(tf.shape(per_sample)[1:]), "float32")
            loss = tf.reduce_sum(per_sample) / (global_size * elements)
            if replica_model.losses:
                loss += tf.add_n(replica_model.losses) / workers.count
        gradients = tape.gradient(loss, replica_model.trainable_variables)
        optimizer.apply(gradients, replica_model.trainable_variables)  # sums over the workers
        return loss

    @tf.function(reduce_retracing=True)
    def step(x, y, global_size):
        losses = strategy.run(replica_step, args=(x, y, global_size))
        return strategy.reduce("SUM", losses, axis=None)

    history = []
    order_rng = np.random.default_rng(TRAINING["seed"] if TRAINING["seed"] is not None else SEED)
    for epoch in range(epochs):
        order = order_rng.permutation(n) if TRAINING["shuffle"] else np.arange(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            mine = np.array_split(batch, workers.count)[workers.index]
            loss = step(tf.constant(x_train[mine]), tf.constant(y_train[mine]), tf.constant(float(len(batch))))
            total += float(loss) * len(batch)
        logs = {"epoch": epoch + 1, "loss": total / n}
        model.set_weights(replica_model.get_weights())
        if workers.chief and splits["validation"] is not None:
            val = model.evaluate(*splits["validation"], batch_size=batch_size, return_dict=True, verbose=0)
            logs.update({f"val_{k}": float(v) for k, v in val.items()})
        history.append(logs)
        if workers.chief:
            print(f"epoch {epoch + 1}/{epochs} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k != "epoch"),
                  flush=True)
            if log_path:
                write_log(log_path, history)
    return history


def write_log(path, history):
    """The epoch log as CSV (the columns of keras.callbacks.CSVLogger)."""
    keys = list(dict.fromkeys(k for logs in history for k in logs))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(history)
`;

/** The command line. `{{...}}` placeholders are filled by `exportKeras`. */
export const PY_MAIN = String.raw`

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, help="epochs (default: training.epochs, %s{{RUN_EPOCHS}})" % TRAINING["epochs"])
    parser.add_argument("--batch-size", type=int,
                        help="global batch size, shared by the workers (default: training.batch_size, %s)" % TRAINING["batch_size"])
    parser.add_argument("--max-samples", type=int, help="use at most this many samples (quick runs){{RUN_SAMPLES}}")
    parser.add_argument("--save", metavar="PATH", default="model.keras",
                        help="where the chief saves the trained model (default: %(default)s)")
    parser.add_argument("--log", metavar="PATH", default="training-log.csv",
                        help="where the chief writes the epoch log as CSV (default: %(default)s)")
    parser.add_argument("--workers", metavar="HOST:PORT,...",
                        help="train data-parallel on these worker processes (the same list on every worker)")
    parser.add_argument("--worker-index", type=int, metavar="I", help="this worker's place in --workers (0 is the chief)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a worker waits for its peers before it gives up (default: %(default)s)")
    parser.add_argument("--data-dir", default=DATA_DIR, help="folder with the data files (default: data/ beside this script)")
    parser.add_argument("--run", nargs="?", const=RUN_DIR, metavar="RUN_DIR",
                        help="start from the trained weights of an RNN Studio run{{RUN_HELP}}")
    parser.add_argument("--predict", nargs="+", metavar={{PREDICT_METAVAR}}, help={{PREDICT_HELP}})
    parser.add_argument("--save-predictions", metavar="FILE", help="write the predictions as JSON")
    parser.add_argument("--summary-only", action="store_true", help="print model.summary() and exit")
    parser.add_argument("--dump-data", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run is None and "--run" in (argv if argv is not None else sys.argv):
        parser.error("--run needs a run folder (this project was exported without one)")
    if args.worker_index is not None and not args.workers:
        parser.error("--worker-index goes with --workers")
    return args


def main(argv=None):
    global DATA_DIR
    args = parse_args(argv)
    DATA_DIR = args.data_dir
    workers = Workers(args.workers, args.worker_index, args.timeout) if args.workers else None
    strategy = workers.start() if workers else None  # first: the strategy must come before other ops
    chief = workers is None or workers.chief
    # Seeded as RNN Studio seeds its models (training.seed, else the data seed): every worker
    # starts from the same weights.
    keras.utils.set_random_seed(TRAINING["seed"] if TRAINING["seed"] is not None else SEED)
    model = build_model()
    compile_model(model)
    if chief:
        model.summary()
    if args.summary_only:
        return 0
    run_settings = read_run_json(args.run, "settings.json", {}) if args.run else {}
    if args.run:
        load_run_weights(model, args.run)
        print(f"loaded the weights of {args.run}")
        if args.predict:  # the run's own tokenizer / scaling: the inputs the weights were trained on
            return show_predictions(args, model, read_run_json(args.run, "preprocessor.json"))
    # The run's sample cap: the same tokenizer and the same test split as the run had.
    max_samples = args.max_samples if args.max_samples is not None else run_settings.get("max_samples")
    splits, preprocessor = load_data(max_samples)
    if args.dump_data:
        dump_data(args.dump_data, splits, preprocessor)
        return 0
    if args.run and preprocessor.get("tokenizer", {}).get("type") == "keras":
        if read_run_json(args.run, "preprocessor.json")["tokenizer"]["vocabulary"] != preprocessor["tokenizer"]["vocabulary"]:
            print("warning: the tokenizer fitted here differs from the run's (other data or --max-samples?), "
                  "so token ids do not mean what the loaded weights learned.", file=sys.stderr)
    x_train, y_train = splits["train"]
    if chief:
        print(f"data: {len(x_train)} train, {len(splits['validation'][0]) if splits['validation'] else 0} validation, "
              f"{len(splits['test'][0]) if splits['test'] else 0} test samples"
              + (f"; {workers.count} workers, each takes its share of every batch" if workers else ""))
    epochs = args.epochs if args.epochs is not None else 0 if args.run else TRAINING["epochs"]
    batch_size = args.batch_size or TRAINING["batch_size"]
    history = []
    if epochs > 0 and strategy:
        if make_callbacks() and chief:
            print("note: with several workers every epoch runs (training.early_stopping applies to one process).")
        history = train_together(strategy, workers, model, splits, epochs, batch_size, args.log)
    elif epochs > 0:
        fitted = model.fit(x_train, y_train, validation_data=splits["validation"], epochs=epochs, batch_size=batch_size,
                           shuffle=TRAINING["shuffle"], callbacks=make_callbacks() + [keras.callbacks.CSVLogger(args.log)],
                           verbose=2)
        history = [{k: float(v[i]) for k, v in fitted.history.items()} for i in range(len(fitted.epoch))]
    if workers:  # the same on every worker: they applied the same updates
        print(f"worker {workers.index}: weights fingerprint {sum(float(np.abs(w).sum()) for w in model.get_weights()):.6e}")
    if not chief:
        print(f"worker {workers.index}: trained {epochs} epoch(s) with the others; the chief saves the model")
        return 0
    metrics = {}
    if splits["test"] is not None:
        metrics = model.evaluate(*splits["test"], batch_size=batch_size, return_dict=True, verbose=0)
        if preprocessor["kind"] == "timeseries":
            predicted = model.predict(splits["test"][0], verbose=0)
            truth, guess = denormalize(preprocessor, splits["test"][1]), denormalize(preprocessor, predicted)
            metrics["mae_original_units"] = float(np.mean(np.abs(np.subtract(guess, truth))))
        print("test: " + " - ".join(f"{k} {float(v):.4f}" for k, v in metrics.items()))
        if run_settings.get("test_metrics") and epochs == 0:
            print("the run had: " + " - ".join(f"{k} {float(v):.4f}" for k, v in run_settings["test_metrics"].items()))
    if epochs > 0 and args.save:
        model.save(args.save)
        if args.save.endswith(".keras"):
            record_training(args.save, max_samples, history, metrics, preprocessor)
        print(f"saved {args.save}")
    if args.predict:
        return show_predictions(args, model, preprocessor)
    return 0


def record_training(path, max_samples, history, metrics, preprocessor):
    """Adds rnn-studio.json to the .keras archive (Keras ignores it when it loads the model): the data
    section, the sample cap and seed, the epoch log and the tokenizer or scaling, so that RNN Studio's
    import rebuilds the same splits and evaluates the imported weights on the same test samples."""
    import zipfile

    # Data paths relative to the saved file's folder, as a model file beside it reads them.
    data = dict(DATA)
    for key in ("path", "test_path"):
        if data.get(key) and data.get("source") != "builtin":
            data[key] = os.path.relpath(resolve(data[key]), os.path.dirname(os.path.abspath(path))).replace(os.sep, "/")
    record = {
        "format": "rnn-studio-keras-training",
        "data": data,
        "training": {k: v for k, v in TRAINING.items() if v is not None},
        "max_samples": max_samples,
        "seed": SEED,
        "history": [{k: float(v) for k, v in logs.items() if k != "epoch"} for logs in history],
        "test_metrics": {k: float(v) for k, v in metrics.items()},
        "preprocessor": preprocessor,
        "keras_version": keras.__version__,
    }
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("rnn-studio.json", json.dumps(record))


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
    # SIGTERM ends the process even while TensorFlow waits inside C++ (for peers, in an all-reduce).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        sys.exit(main())
    except DataError as error:  # a problem with the data or its settings: say what, without a traceback
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except WorkerError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(3)
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError) as error:
        print("error: the other workers stopped answering during training (for --timeout seconds): did one "
              "of them stop or lose its network?", file=sys.stderr)
        sys.exit(3)
`;
