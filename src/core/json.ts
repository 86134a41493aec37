/**
 * Guards shared by everything that reads user JSON (model files, JSONL data lines) or echoes a
 * user's value in a message: a nesting limit found by one linear scan before any recursive code
 * sees the text, own-property lookup, and values shortened for messages.
 */

/** Deeper than any model file needs (about 6), shallow enough for every recursive reader of the tree. */
export const MAX_NESTING = 100;

/** A value nested deeper than the limit: `start` is its opening bracket, `end` one past its closing one. */
export interface DeepSpan {
  start: number;
  end: number;
  /** The top-level key whose value contains it, when there is one (for JSONL messages). */
  topKey?: string;
}

/**
 * The values that open at depth `limit + 1`, outermost first, found without recursion. Strings and
 * JSONC comments are skipped; an unclosed value ends at the end of the text.
 */
export function deepSpans(text: string, limit = MAX_NESTING): DeepSpan[] {
  const spans: DeepSpan[] = [];
  let depth = 0;
  let open: DeepSpan | undefined;
  let lastTopString: string | undefined;
  let topKey: string | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34 || d === 10 || d === 13) break;
      }
      if (depth === 1 && i - start < 1000) lastTopString = text.slice(start + 1, i);
      continue;
    }
    if (c === 58 /* : */) {
      if (depth === 1) topKey = lastTopString;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth === limit + 1) open = { start: i, end: n, topKey };
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth === limit + 1 && open) {
        open.end = i + 1;
        spans.push(open);
        open = undefined;
      }
      if (depth > 0) depth--;
      if (depth === 1) topKey = undefined;
    } else if (c === 44 /* , */ && depth === 1) topKey = undefined;
  }
  if (open) spans.push(open);
  return spans;
}

/** `text` with each span replaced by `null` (or `0` when shorter) padded with spaces, so every offset stays put. */
export function maskSpans(text: string, spans: readonly DeepSpan[]): string {
  if (spans.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const { start, end } of spans) {
    const filler = end - start >= 4 ? 'null' : '0';
    parts.push(text.slice(at, start), filler, ' '.repeat(end - start - filler.length));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** `object[key]` only when the object itself has the key: `constructor` or `__proto__` are not settings. */
export function own<T>(object: Record<string, T> | undefined, key: string): T | undefined {
  return object !== undefined && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/** The largest whole number a size setting may have: TensorFlow's shapes and indices are 32-bit in many kernels. */
export const MAX_INTEGER = 2 ** 31 - 1;

/** Longest value text a message quotes. */
export const MAX_QUOTED = 60;

/** `s` cut to `max` characters with an ellipsis, for names and keys in messages. */
export function shorten(s: string, max = MAX_QUOTED): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** A user's string for a message, in quotes, cut to `MAX_QUOTED` characters with its length said. */
export function quote(s: string, max = MAX_QUOTED): string {
  return s.length <= max ? JSON.stringify(s) : `${JSON.stringify(s.slice(0, max))}… (${s.length.toLocaleString('en-US')} characters)`;
}

/** A user's value for a message as JSON, cut to `MAX_QUOTED` characters; never stringifies a long string whole. */
export function quoteValue(value: unknown, max = MAX_QUOTED): string {
  if (typeof value === 'string') return quote(value, max);
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && v.length > max ? `${v.slice(0, max)}…` : v)) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
