import type { ModelDocument } from './document';
import { setProperty } from './edits';
import { formatCount } from './shapes';
import type { Diagnostic, JsonPath, LayerInfo, RelatedLocation } from './types';

/**
 * Token ids against the first Embedding's `input_dim`, as far as the `data` section tells before any
 * data is read: a built-in data set's vocabulary, the synthetic task's `vocab_size`, the padding id.
 * (`num_words` below `input_dim` is `embedding-too-small` in analyze.ts; ids of the user's own files
 * are known only once they are read, and the trainer checks them with `tokenIdsMessage` before it
 * builds the model.)
 */

/**
 * Tokenizer vocabulary (largest id + 1) of the built-in SpamAssassin corpus without `num_words`, with
 * Keras' default Tokenizer settings and split (test/unit/token-ids.test.ts recomputes it from the data).
 */
export const SPAM_ASSASSIN_VOCABULARY = 158_816;

/** The message for ids outside an Embedding table: which layer and property, what the data holds, what to change. */
export function tokenIdsMessage(layer: string, path: JsonPath, inputDim: number, why: string, advice: string): string {
  const where = `${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '')}.input_dim`;
  return `Embedding "${layer}" (${where}) has input_dim ${formatCount(inputDim)}, a table for token ids 0..${formatCount(inputDim - 1)}, but ${why}. ${advice}`;
}

export function tokenIdDiagnostics(doc: ModelDocument, layers: LayerInfo[], data: Record<string, unknown>): Diagnostic[] {
  const embedding = layers[0];
  const inputDim = embedding?.config.input_dim;
  if (embedding?.type !== 'Embedding' || typeof inputDim !== 'number' || !Number.isFinite(inputDim)) return [];
  const inputDimNode = doc.node([...embedding.path, 'input_dim']);
  const at = inputDimNode ? { path: [...embedding.path, 'input_dim'], range: doc.propertyRange(inputDimNode) } : { path: embedding.path, range: embedding.range };
  const related = (message: string, path: JsonPath): RelatedLocation[] => {
    const node = doc.node(path);
    return node ? [{ message, path, range: doc.propertyRange(node) }] : [];
  };
  const out: Diagnostic[] = [];
  const report = (why: string, advice: string, relatedAt: RelatedLocation[], fixes: Diagnostic['fixes']) =>
    out.push({ severity: 'error', code: 'token-id-out-of-range', message: tokenIdsMessage(embedding.name, embedding.path, inputDim, why, advice), ...at, source: 'model', layerIndex: embedding.index, related: relatedAt, fixes });
  const setInputDim = (n: number) => ({ title: `Set "input_dim": ${n}`, edits: setProperty(doc, embedding.path, 'input_dim', n), isPreferred: true });

  if (data.source === 'builtin' && data.dataset === 'long_range_memory') {
    const vocab = typeof data.vocab_size === 'number' ? data.vocab_size : 10; // DEFAULTS.vocab_size in src/data/config.ts
    if (vocab > inputDim) report(`data.vocab_size ${formatCount(vocab)} makes token ids up to ${formatCount(vocab - 1)}`, `Set "input_dim": ${vocab}.`, related('vocab_size is set here', ['data', 'vocab_size']), [setInputDim(vocab)]);
  } else if (data.source === 'builtin' && data.dataset === 'spam_assassin' && data.num_words === undefined && SPAM_ASSASSIN_VOCABULARY > inputDim) {
    report(`data.num_words is not set, so the tokenizer keeps every word of spam_assassin: token ids up to about ${formatCount(SPAM_ASSASSIN_VOCABULARY - 1)}`, `Set data.num_words to ${inputDim} (the most frequent words), or a larger input_dim.`, related('the data set is chosen here', ['data', 'dataset']), [
      { title: `Set data.num_words to ${inputDim}`, edits: setProperty(doc, ['data'], 'num_words', inputDim), isPreferred: true },
    ]);
  }
  const pad = data.pad_value;
  if (typeof pad === 'number' && Number.isFinite(pad) && pad >= inputDim) report(`data.pad_value pads with token id ${formatCount(pad)}`, `Set "input_dim": ${pad + 1}, or "pad_value": 0.`, related('pad_value is set here', ['data', 'pad_value']), [setInputDim(pad + 1)]);
  return out;
}
