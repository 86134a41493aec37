import { findNodeAtLocation, getNodeValue, Node, parseTree, ParseError, printParseErrorCode } from 'jsonc-parser';
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

/** A model file's text with its JSON tree; comments and trailing commas are tolerated as in VS Code's JSONC. */
export class ModelDocument {
  readonly lines: LineIndex;
  readonly root: Node | undefined;
  readonly syntaxErrors: SyntaxError[];

  constructor(readonly text: string) {
    this.lines = new LineIndex(text);
    const errors: ParseError[] = [];
    this.root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
    this.syntaxErrors = errors.map((e) => ({ message: describeParseError(printParseErrorCode(e.error)), offset: e.offset, length: e.length }));
  }

  node(path: JsonPath): Node | undefined {
    return this.root && findNodeAtLocation(this.root, path);
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
