import { getNodeValue, Node, parseTree, ParseError, printParseErrorCode } from 'jsonc-parser';
import { deepSpans, maskSpans, MAX_NESTING, type DeepSpan } from './json';
import type { JsonPath, Position, Range, TextEdit } from './types';

/** Offsets to line/character positions, built once per text. */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* \n */) this.lineStarts.push(i + 1);
      else if (c === 13 /* \r */ && text.charCodeAt(i + 1) !== 10) this.lineStarts.push(i + 1);
    }
  }

  positionAt(offset: number): Position {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  }

  offsetAt(position: Position): number {
    const start = this.lineStarts[Math.min(position.line, this.lineStarts.length - 1)] ?? 0;
    return Math.min(start + position.character, this.text.length);
  }

  range(offset: number, length: number): Range {
    return { start: this.positionAt(offset), end: this.positionAt(offset + length) };
  }
}

export interface SyntaxError {
  message: string;
  offset: number;
  length: number;
}

/** A key written more than once in one object: JSON readers (Python's, Keras') keep the last. */
export interface DuplicateKey {
  /** The property that wins (the last). */
  winner: Node;
  /** The earlier properties with the same key, ignored by every reader. */
  ignored: Node[];
  /** Index of `ignored[0]` among its object's properties (for a removal edit without a search). */
  firstIndex: number;
}

/**
 * A model file's text with its JSON tree; comments and trailing commas are tolerated as in VS Code's
 * JSONC, and a UTF-8 byte order mark is read as white space. Values nested deeper than
 * `MAX_NESTING` are cut out before parsing (listed in `tooDeep`), so no recursive reader of the tree
 * can overflow the stack. Keys are looked up as JSON readers do: the last of duplicates wins.
 */
export class ModelDocument {
  readonly lines: LineIndex;
  readonly root: Node | undefined;
  readonly syntaxErrors: SyntaxError[];
  /** Values nested too deep, read as `null`. */
  readonly tooDeep: DeepSpan[];
  /** Number literals out of float64 range (`1e999`), which would read as Infinity. */
  readonly nonFinite: Node[] = [];
  readonly duplicates: DuplicateKey[] = [];
  /** For each object node, its keys to the value nodes that win. */
  private readonly keys = new Map<Node, Map<string, Node>>();

  constructor(readonly text: string) {
    this.lines = new LineIndex(text);
    const errors: ParseError[] = [];
    const unmarked = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
    this.tooDeep = deepSpans(unmarked, MAX_NESTING);
    this.root = parseTree(maskSpans(unmarked, this.tooDeep), errors, { allowTrailingComma: true, disallowComments: false });
    this.syntaxErrors = errors.map((e) => ({ message: describeParseError(printParseErrorCode(e.error)), offset: e.offset, length: e.length }));
    if (this.root) this.index(this.root);
  }

  /** One pass over the tree, without recursion: key lookup tables, duplicate keys, non-finite numbers. */
  private index(root: Node): void {
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.type === 'number' && !Number.isFinite(node.value)) this.nonFinite.push(node);
      // One by one: spreading a 200,000-item array into push() overflows the stack itself.
      if (node.type === 'array') for (const child of node.children ?? []) stack.push(child);
      if (node.type !== 'object') continue;
      const keys = new Map<string, Node>();
      const props = new Map<string, Node[]>();
      const firstIndex = new Map<string, number>();
      (node.children ?? []).forEach((prop, index) => {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode || !valueNode) return;
        const key = String(keyNode.value);
        keys.set(key, valueNode);
        const same = props.get(key);
        if (same) same.push(prop);
        else {
          props.set(key, [prop]);
          firstIndex.set(key, index);
        }
        stack.push(valueNode);
      });
      for (const [key, same] of props) if (same.length > 1) this.duplicates.push({ winner: same[same.length - 1], ignored: same.slice(0, -1), firstIndex: firstIndex.get(key)! });
      this.keys.set(node, keys);
    }
    this.duplicates.sort((a, b) => a.winner.offset - b.winner.offset);
  }

  private lineBreak: string | undefined;

  /** The file's line break, for inserted lines. */
  get eol(): string {
    return (this.lineBreak ??= this.text.includes('\r\n') ? '\r\n' : '\n');
  }

  /** The value node at `path`; for a duplicated key, the last one (the one readers keep). */
  node(path: JsonPath): Node | undefined {
    let node = this.root;
    for (const segment of path) {
      if (!node) return undefined;
      if (typeof segment === 'string') node = node.type === 'object' ? this.keys.get(node)?.get(segment) : undefined;
      else node = node.type === 'array' ? node.children?.[segment] : undefined;
    }
    return node;
  }

  /** The value node of `key` in the object node `object` (the last when duplicated). */
  property(object: Node, key: string): Node | undefined {
    return this.keys.get(object)?.get(key);
  }

  value(path: JsonPath): unknown {
    const node = this.node(path);
    return node && getNodeValue(node);
  }

  /** Range of the value at `path`. */
  rangeOf(node: Node): Range {
    return this.lines.range(node.offset, node.length);
  }

  /** Range of the property `"key": value` whose value is `node`, or of the node when it is not a property value. */
  propertyRange(node: Node): Range {
    const prop = node.parent?.type === 'property' ? node.parent : node;
    return this.lines.range(prop.offset, prop.length);
  }

  /** Range of the key of the property at `path` (`"units"`), or the value's range for array items. */
  keyRange(node: Node): Range {
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return this.rangeOf(key ?? node);
  }

  edit(offset: number, length: number, newText: string): TextEdit {
    return { offset, length, range: this.lines.range(offset, length), newText };
  }
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'Invalid symbol',
    InvalidNumberFormat: 'Invalid number format',
    PropertyNameExpected: 'Property name expected',
    ValueExpected: 'Value expected',
    ColonExpected: 'Colon expected',
    CommaExpected: 'Comma expected',
    CloseBraceExpected: 'Closing brace `}` expected',
    CloseBracketExpected: 'Closing bracket `]` expected',
    EndOfFileExpected: 'End of file expected',
    InvalidCommentToken: 'Invalid comment',
    UnexpectedEndOfComment: 'Unterminated comment',
    UnexpectedEndOfString: 'Unterminated string',
    UnexpectedEndOfNumber: 'Unterminated number',
    InvalidUnicode: 'Invalid unicode escape',
    InvalidEscapeCharacter: 'Invalid escape character',
    InvalidCharacter: 'Invalid character',
  };
  return `JSON syntax error: ${words[code] ?? code}.`;
}
