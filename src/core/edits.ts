import type { Node } from 'jsonc-parser';
import type { ModelDocument } from './document';
import type { JsonPath, TextEdit } from './types';

/**
 * Text edits that change one thing and keep the rest of the file as the user wrote it
 * (jsonc-parser's `modify` re-formats whole one-line objects, which users notice in diffs).
 */

export function jsonText(value: unknown): string {
  return JSON.stringify(value);
}

/** Set `key` of the object at `objectPath` to `value`: replace the value if present, else insert the property. */
export function setProperty(doc: ModelDocument, objectPath: JsonPath, key: string, value: unknown): TextEdit[] {
  const object = doc.node(objectPath);
  if (!object || object.type !== 'object') return [];
  const existing = findProperty(object, key);
  if (existing) {
    const valueNode = existing.children![1];
    return valueNode ? [doc.edit(valueNode.offset, valueNode.length, jsonText(value))] : [];
  }
  return [insertProperty(doc, object, key, value)];
}

/** Replace the value at `path` (which must exist). */
export function replaceValue(doc: ModelDocument, path: JsonPath, value: unknown): TextEdit[] {
  const node = doc.node(path);
  return node ? [doc.edit(node.offset, node.length, jsonText(value))] : [];
}

/** Remove `key` from the object at `objectPath`, with the comma that separated it. */
export function removeProperty(doc: ModelDocument, objectPath: JsonPath, key: string): TextEdit[] {
  const object = doc.node(objectPath);
  const prop = object && findProperty(object, key);
  if (!object || !prop) return [];
  return [removeChild(doc, object, prop)];
}

/** Remove the item at `index` of the array at `arrayPath`, with its separating comma and its line when it had one. */
export function removeArrayItem(doc: ModelDocument, arrayPath: JsonPath, index: number): TextEdit[] {
  const array = doc.node(arrayPath);
  const item = array?.children?.[index];
  if (!array || !item) return [];
  return [removeChild(doc, array, item)];
}

function findProperty(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.children?.[0]?.value === key);
}

function insertProperty(doc: ModelDocument, object: Node, key: string, value: unknown): TextEdit {
  const text = doc.text;
  const props = object.children ?? [];
  const entry = `${jsonText(key)}: ${jsonText(value)}`;
  const last = props[props.length - 1];
  if (!last) {
    // `{}` -> `{ "key": value }`
    return doc.edit(object.offset + 1, object.length - 2, ` ${entry} `);
  }
  const end = last.offset + last.length;
  const sameLine = doc.lines.positionAt(object.offset).line === doc.lines.positionAt(object.offset + object.length).line;
  if (sameLine) return doc.edit(end, 0, `, ${entry}`);
  const lineStart = doc.lines.offsetAt({ line: doc.lines.positionAt(last.offset).line, character: 0 });
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const eol = doc.eol;
  return doc.edit(end, 0, `,${eol}${indent}${entry}`);
}

/** Remove one property of an object node or one item of an array node, with its separating comma. */
export function removeChild(doc: ModelDocument, container: Node, child: Node, i = container.children!.indexOf(child)): TextEdit {
  const siblings = container.children!;
  const text = doc.text;
  if (siblings.length === 1) {
    return doc.edit(container.offset + 1, container.length - 2, '');
  }
  if (i < siblings.length - 1) {
    // Remove from this child's line start (if it sits alone on its line) to the next child's start.
    const next = siblings[i + 1];
    let start = child.offset;
    const lineStart = doc.lines.offsetAt({ line: doc.lines.positionAt(start).line, character: 0 });
    const nextLineStart = doc.lines.offsetAt({ line: doc.lines.positionAt(next.offset).line, character: 0 });
    if (onlyBlanks(text, lineStart, start) && nextLineStart > lineStart) {
      return doc.edit(lineStart, nextLineStart - lineStart, '');
    }
    return doc.edit(start, next.offset - start, '');
  }
  // Last child: remove from the end of the previous sibling.
  const prev = siblings[i - 1];
  const prevEnd = prev.offset + prev.length;
  return doc.edit(prevEnd, child.offset + child.length - prevEnd, '');
}

/** Whether `text` has only spaces and tabs between `from` and `to`; looks back from `to`, so a long line costs nothing. */
function onlyBlanks(text: string, from: number, to: number): boolean {
  for (let i = to - 1; i >= from; i--) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Set several keys of one object in one fix; missing keys are inserted together after the last property. */
export function setProperties(doc: ModelDocument, objectPath: JsonPath, values: Record<string, unknown>): TextEdit[] {
  const object = doc.node(objectPath);
  if (!object || object.type !== 'object') return [];
  const edits: TextEdit[] = [];
  const missing: [string, unknown][] = [];
  for (const [key, value] of Object.entries(values)) {
    if (findProperty(object, key)) edits.push(...setProperty(doc, objectPath, key, value));
    else missing.push([key, value]);
  }
  if (missing.length > 0) {
    const [first, ...rest] = missing;
    const insertion = insertProperty(doc, object, first[0], first[1]);
    const separator = insertion.newText.startsWith(',\n') || insertion.newText.startsWith(',\r\n') ? insertion.newText.slice(0, insertion.newText.indexOf('"')) : ', ';
    insertion.newText += rest.map(([k, v]) => `${separator}${jsonText(k)}: ${jsonText(v)}`).join('');
    edits.push(insertion);
  }
  return mergeTouching(edits);
}

/** An insertion right where a replacement ends becomes part of it: editors refuse touching edits. */
function mergeTouching(edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  const merged: TextEdit[] = [];
  for (const e of sorted) {
    const last = merged[merged.length - 1];
    if (last && e.length === 0 && e.offset === last.offset + last.length) {
      merged[merged.length - 1] = { ...last, newText: last.newText + e.newText };
    } else merged.push(e);
  }
  return merged;
}

/** One-line JSON the way people write layers: `{ "type": "LSTM", "units": 64 }`. */
export function inlineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}
