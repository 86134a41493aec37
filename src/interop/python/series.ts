/**
 * Python source of the exported Keras scripts: time-series forecasting (numeric CSV columns,
 * sliding windows, normalisation fitted on the training rows). Mirrors `src/data/series.ts`; keep
 * them in step. Statistics are summed in the same order as the TypeScript code, in float64, so the
 * normalised float32 values are bit-for-bit the same.
 */

export const PY_SERIES = String.raw`
NUMERIC_CELL = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$", re.ASCII)
TIME_NAMES = re.compile(r"^(date|time|datetime|timestamp|ds|day|week|month|year|period)$", re.IGNORECASE)


def read_series_table(path, needed):
    """The numeric columns of a CSV ({name: [float]}), its row count and its time column."""
    header, rows, lines = read_csv(path)
    values = {}
    for name in needed:
        if name in values:
            continue
        ci = column_index(path, header, name, "columns")
        column = []
        for row, line in zip(rows, lines):
            cell = row[ci] if ci < len(row) else None
            if cell is None or not NUMERIC_CELL.match(cell):
                raise DataError(f"{path}, line {line}: column {name!r} has {cell!r}, which is not a number. "
                                "Time-series columns must be numeric in every row.")
            column.append(float(cell))
        values[name] = column
    time_index = next((i for i, h in enumerate(header) if TIME_NAMES.match(h) and h not in needed), -1)
    if time_index < 0:
        time_index = next((i for i, h in enumerate(header)
                           if h not in needed and i < len(rows[0]) and not NUMERIC_CELL.match(rows[0][i])), -1)
    time_column = header[time_index] if time_index >= 0 else None
    return {"path": path, "rows": len(rows), "values": values, "time_column": time_column}


def column_scaling(column, values, end, method):
    """Statistics of values[0:end] and the scaling: normalised = (value - offset) / scale."""
    total, low, high = 0.0, math.inf, -math.inf
    for v in values[:end]:
        total += v
        low = min(low, v)
        high = max(high, v)
    mean = total / end
    squares = 0.0
    for v in values[:end]:
        squares += (v - mean) * (v - mean)
    std = math.sqrt(squares / end)  # population std, like Keras' Normalization layer
    offset, scale = 0.0, 1.0
    if method == "zscore":
        offset, scale = mean, (std if std > 0 else 1.0)
    elif method == "minmax":
        offset, scale = low, (high - low if high > low else 1.0)
    return {"column": column, "offset": offset, "scale": scale, "mean": mean, "std": std, "min": low, "max": high}


def window_count(rows, window, horizon, stride):
    return 0 if rows < window + horizon else (rows - window - horizon) // stride + 1


def build_windows(table, starts, p):
    """x: [N, window, features] float32, y: [N, 1] float32 (the target horizon steps after the window)."""
    window, horizon = p["window"], p["horizon"]
    features = [np.asarray([(v - s["offset"]) / s["scale"] for v in table["values"][s["column"]]], dtype="float32")
                for s in p["features"]]
    ts = p["targetScaling"]
    target = table["values"][p["target"]]
    x = np.zeros((len(starts), window, len(features)), dtype="float32")
    y = np.zeros((len(starts), 1), dtype="float32")
    for i, s in enumerate(starts):
        for f, column in enumerate(features):
            x[i, :, f] = column[s:s + window]
        y[i, 0] = (target[s + window - 1 + horizon] - ts["offset"]) / ts["scale"]
    return x, y


def load_series(data, cap, validation_split):
    """Windows over a CSV (or Seattle weather), split in time order: train, validation, test."""
    builtin = data["source"] == "builtin"
    target = data.get("target") or ("temp_max" if builtin else None)
    if not target:
        raise DataError('data.target is missing: name the CSV column to predict, e.g. "target": "temp_max".')
    columns = data.get("columns") or [target]
    window = data.get("window") or INPUT_SHAPE[0]
    horizon, stride = data.get("horizon", 1), data.get("stride", 1)
    method = data.get("normalization", "zscore")
    if builtin:
        path = compact_data("seattle-weather.csv")
    else:
        path = resolve(data["path"])
    needed = columns + ([] if target in columns else [target])
    table = read_series_table(path, needed)
    count = window_count(table["rows"], window, horizon, stride)
    if count == 0:
        raise DataError(f"{path}: the series has {table['rows']} rows, fewer than window + horizon.")
    if cap is not None:
        count = min(count, cap)
    test = None
    trainable = count
    if data.get("test_path"):
        test_table = read_series_table(resolve(data["test_path"]), needed)
        test_count = window_count(test_table["rows"], window, horizon, stride)
        if test_count == 0:
            raise DataError(f"{data['test_path']}: the series is shorter than window + horizon.")
        if cap is not None:
            test_count = min(test_count, cap)
        test = (test_table, [i * stride for i in range(test_count)])
    else:
        trainable = test_split_at(count, data.get("test_split", 0.2), "windows")
        if trainable < count:
            test = (table, [(trainable + i) * stride for i in range(count - trainable)])
    train_count = validation_split_at(trainable, validation_split, "windows")
    # Statistics of the rows the training samples see (inputs and targets), nothing later.
    fit_end = (train_count - 1) * stride + window - 1 + horizon + 1
    scaling = {name: column_scaling(name, table["values"][name], fit_end, method) for name in needed}
    preprocessor = {"kind": "timeseries", "version": 1, "columns": columns, "target": target,
                    "window": window, "horizon": horizon, "stride": stride, "normalization": method,
                    "features": [scaling[c] for c in columns], "targetScaling": scaling[target]}
    if table["time_column"]:
        preprocessor["timeColumn"] = table["time_column"]
    splits = {
        "train": build_windows(table, [i * stride for i in range(train_count)], preprocessor),
        "validation": build_windows(table, [(train_count + i) * stride for i in range(trainable - train_count)],
                                    preprocessor) if train_count < trainable else None,
        "test": build_windows(test[0], test[1], preprocessor) if test is not None else None,
    }
    return splits, preprocessor


def series_input(preprocessor, csv_path):
    """The last window rows of a CSV -> one normalised sample [1, window, features]."""
    table = read_series_table(csv_path, preprocessor["columns"])
    window = preprocessor["window"]
    if table["rows"] < window:
        raise DataError(f"The model needs the last {window} rows (data.window) to predict; {csv_path} has {table['rows']}.")
    x = np.zeros((1, window, len(preprocessor["features"])), dtype="float32")
    for f, s in enumerate(preprocessor["features"]):
        values = table["values"][s["column"]][-window:]
        x[0, :, f] = [(v - s["offset"]) / s["scale"] for v in values]
    return x


def denormalize(preprocessor, values):
    """Model outputs (normalised) back to the target's own units."""
    ts = preprocessor["targetScaling"]
    return [float(v) * ts["scale"] + ts["offset"] for v in np.ravel(values)]
`;
