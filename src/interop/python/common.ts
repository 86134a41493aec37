/**
 * Python source of the exported Keras scripts: the parts every data pipeline shares. These mirror
 * RNN Studio's TypeScript pipeline in `src/data/` line for line (random numbers, splits, file
 * reading), so that the script makes exactly the samples and splits RNN Studio makes. Keep them in
 * step with `src/data/random.ts`, `split.ts`, `files.ts` and `errors.ts`.
 *
 * Each block is a Python fragment (String.raw: backslashes are Python's); `exportKeras` puts the
 * ones a model needs into its script.
 */

export const PY_COMMON = String.raw`
# ---- Data pipeline ---------------------------------------------------------------------------
# The same samples, splits and preprocessing as RNN Studio's TypeScript pipeline (src/data/), so a
# run's weights see the same inputs here. Paths in DATA are relative to DATA_DIR (data/).


class DataError(Exception):
    """A problem with the data or the data settings; the message says where and what to do."""


def mulberry32(seed):
    """RNN Studio's seeded random numbers (mulberry32): floats in [0, 1), the very sequence its
    TypeScript pipeline draws for the same seed, so shuffles and splits are identical."""
    state = seed & 0xFFFFFFFF

    def next_float():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t = t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF)
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0

    return next_float


def permutation(n, seed):
    """A seeded Fisher-Yates shuffle of 0..n-1 (RNN Studio's permutation)."""
    rand = mulberry32(seed)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rand() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def validation_split_at(n, validation_split, what="samples"):
    """Keras' validation_split: the first floor(n * (1 - split)) samples train, the rest validate."""
    if not validation_split > 0:
        return n
    at = math.floor(n * (1.0 - validation_split))
    if at == 0 or at == n:
        raise DataError(
            f"The training data has {n} {what}, which is not enough to split into a training and a "
            f"validation set with validation_split {validation_split}.")
    return at


def test_split_at(n, test_split, what="samples"):
    """Like validation_split_at, for the test fraction (data.test_split)."""
    if not test_split > 0:
        return n
    at = math.floor(n * (1.0 - test_split))
    if at == 0 or at == n:
        raise DataError(
            f"The data has {n} {what}, which is not enough to hold out a test set with "
            f"test_split {test_split}.")
    return at


def plan_indices(n, shuffle, seed, cap=None, test_split=0.0, what="samples"):
    """Which samples are used, in which order: a seeded permutation when shuffling or holding out
    a test set; the first cap of that order; the test set is its last test_split fraction.
    Returns (train_indices, test_indices or None)."""
    order = permutation(n, seed) if (shuffle or test_split > 0) else list(range(n))
    if cap is not None and cap < n:
        order = order[:cap]
    if test_split > 0:
        at = test_split_at(len(order), test_split, what)
        return order[:at], order[at:]
    return order, None


def resolve(path):
    """A data path of the settings (relative to the data folder, --data-dir) as a full path."""
    return path if os.path.isabs(path) else os.path.join(DATA_DIR, path)


def read_text(path, what="data file"):
    """A file's text (UTF-8, without a byte-order mark); an empty file is an error."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        raise DataError(f"Cannot read the {what} {path}: {e.strerror}. Check data.path (paths are "
                        "relative to data/, or pass --data-dir).") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DataError(f"{path}: the {what} is empty.")
    return text


def read_csv(path):
    """A CSV file with a header row: (header, rows, line numbers). Empty lines are skipped."""
    text = read_text(path, "CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    for record in reader:
        if record:
            records.append((record, reader.line_num - sum(f.count("\n") for f in record)))
    if not records:
        raise DataError(f"{path}: the CSV file is empty.")
    header = [h.strip() for h in records[0][0]]
    if len(records) == 1:
        raise DataError(f"{path}: the CSV file has a header row but no data rows.")
    for record, line in records[1:]:
        if len(record) != len(header):
            raise DataError(f"{path}, line {line}: the row has {len(record)} fields but the header has "
                            f"{len(header)}. Quote fields that contain commas.")
    return header, [r for r, _ in records[1:]], [line for _, line in records[1:]]


def column_index(path, header, name, key):
    if name not in header:
        raise DataError(f"{path}: the header has no column {name!r} (data.{key}). Its columns are: "
                        f"{', '.join(map(repr, header))}.")
    return header.index(name)


def utf16_key(s):
    """Sort key that orders strings as JavaScript does (by UTF-16 code units)."""
    return s.encode("utf-16-be", "surrogatepass")


def compact_data(file):
    """A built-in data set, in the compact form RNN Studio ships it, in the data folder."""
    path = os.path.join(DATA_DIR, file)
    if not os.path.isfile(path):
        raise DataError(f"The built-in data set {file} is not in {DATA_DIR}: export the project again, "
                        "or pass --data-dir with the folder that holds it.")
    return path
`;
