import { getLocation, parse } from 'jsonc-parser';
import * as vscode from 'vscode';
import { formatCount, formatShape, formatTotalParams, inlineJson, layerHint, layerTemplate, ModelDocument, partialNote, schemaAt, setProperty, type LayerInfo, type ModelAnalysis } from '../core';
import type { PaletteItem } from '../protocol/designer';
import { toRange } from './convert';
import { MODEL_SELECTOR, type ModelStore } from './modelStore';

/** Hover, inlay hints, CodeLens and completion for model files, all from the shared analysis. */

function layerAt(analysis: ModelAnalysis, position: vscode.Position): LayerInfo | undefined {
  return analysis.layers.find((l) => toRange(l.range).contains(position));
}

class HoverProvider implements vscode.HoverProvider {
  constructor(private readonly store: ModelStore) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const analysis = this.store.get(document);
    const layer = layerAt(analysis, position);
    if (!layer) return undefined;
    const md = new vscode.MarkdownString();
    const inner = layer.inner ? ` wrapping **${layer.inner.type}** \`${layer.inner.name}\`` : '';
    md.appendMarkdown(`**${layer.type}** \`${layer.name}\`${inner} · layer ${layer.index}\n\n`);
    md.appendMarkdown(`Input \`${formatShape(layer.inputShape)}\` → output \`${formatShape(layer.outputShape)}\`\n\n`);
    const params = layer.trainableParams + layer.nonTrainableParams;
    if (layer.unknownReason) md.appendMarkdown(`Output shape and parameters unknown: ${layer.unknownReason}.`);
    else md.appendMarkdown(layer.paramFormula ? `Parameters: \`${layer.paramFormula}\`` : `Parameters: ${formatCount(params)}`);
    if (layer.nonTrainableParams) md.appendMarkdown(` (${formatCount(layer.nonTrainableParams)} non-trainable)`);
    const note = optionNote(document, position, layer);
    if (note) md.appendMarkdown(`\n\n---\n\n${note}`);
    return new vscode.Hover(md, toRange(layer.range));
  }
}

/** A short note on the option under the cursor: what it does to this layer's shape, else the schema's first sentence. */
function optionNote(document: vscode.TextDocument, position: vscode.Position, layer: LayerInfo): string | undefined {
  const location = getLocation(document.getText(), document.offsetAt(position));
  const key = location.path[location.path.length - 1];
  if (typeof key !== 'string' || key === '' || key === 'type') return undefined;
  if (key === 'return_sequences' && layer.inputShape && layer.outputShape) {
    const [batch, steps] = layer.inputShape;
    const features = layer.outputShape[layer.outputShape.length - 1];
    return `\`return_sequences\`: \`true\` → \`${formatShape([batch, steps, features])}\`, the output at every timestep (what a following recurrent layer needs); \`false\` → \`${formatShape([batch, features])}\`, only the last output (for a classifier or forecaster head).`;
  }
  const description = schemaAt(location.path, parse(document.getText()))?.description;
  if (!description) return undefined;
  const first = /^[^.]*\./.exec(description)?.[0] ?? description;
  return `\`${key}\`: ${first}`;
}

class InlayHintsProvider implements vscode.InlayHintsProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.changed.event;

  constructor(private readonly store: ModelStore) {
    store.onDidAnalyze(() => this.changed.fire());
  }

  provideInlayHints(document: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    if (!this.store.settings.inlayHints) return [];
    return this.store
      .get(document)
      .layers.filter((l) => range.contains(toRange(l.range).end))
      .map((l) => {
        const hint = new vscode.InlayHint(toRange(l.range).end, layerHint(l), vscode.InlayHintKind.Type);
        hint.paddingLeft = true;
        hint.tooltip = l.unknownReason ? `Shape and parameters unknown: ${l.unknownReason}` : (l.paramFormula ?? `${l.type} "${l.name}"`);
        return hint;
      });
  }
}

class CodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly store: ModelStore) {
    store.onDidAnalyze(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.store.settings.codeLens) return [];
    const analysis = this.store.get(document);
    if (!analysis.parsed) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const args = [document.uri];
    return [
      new vscode.CodeLens(top, { title: '$(play) Train', command: 'rnnStudio.train', arguments: args }),
      new vscode.CodeLens(top, { title: `Summary (${formatTotalParams(analysis)} params)`, tooltip: partialNote(analysis), command: 'rnnStudio.showSummary', arguments: args }),
      new vscode.CodeLens(top, { title: 'Open Designer', command: 'rnnStudio.openDesigner', arguments: args }),
      new vscode.CodeLens(top, { title: 'Export to Keras', command: 'rnnStudio.exportKeras', arguments: args }),
    ];
  }
}

const SNIPPETS: { label: string; detail: string; items: PaletteItem[]; stacked?: boolean }[] = [
  { label: 'LSTM layer', detail: 'Long short-term memory, 64 units', items: ['LSTM'] },
  { label: 'GRU layer', detail: 'Gated recurrent unit (Keras 3: reset_after true), 64 units', items: ['GRU'] },
  { label: 'Bidirectional LSTM', detail: 'Reads the sequence both ways and concatenates', items: ['Bidirectional'] },
  { label: 'Stacked LSTM pair', detail: 'Two LSTMs; the first returns sequences', items: ['LSTM', 'LSTM'], stacked: true },
  { label: 'Embedding layer', detail: 'Token ids to vectors; input_dim from data.num_words', items: ['Embedding'] },
  { label: 'Dropout layer', detail: 'rate 0.2', items: ['Dropout'] },
];

/** Layer snippets that fit where the cursor is in `layers`: flags set for the neighbours, commas placed. */
class CompletionProvider implements vscode.CompletionItemProvider {
  constructor(private readonly store: ModelStore) {}

  provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    const text = document.getText();
    const offset = document.offsetAt(position);
    const location = getLocation(text, offset);
    if (location.path.length !== 2 || location.path[0] !== 'layers' || typeof location.path[1] !== 'number') return [];
    const analysis = this.store.get(document);
    const index = analysis.layers.filter((l) => document.offsetAt(toRange(l.range).end) <= offset).length;
    const previous = analysis.layers[index - 1];
    const next = analysis.layers[index];
    const isRecurrent = (l?: LayerInfo) => !!l && ['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional'].includes(l.type);
    const numWords = (parse(text) as { data?: { num_words?: unknown } } | undefined)?.data?.num_words;
    const before = /[}\]]\s*$/.test(text.slice(0, offset)) ? ', ' : '';
    const after = /^\s*\{/.test(text.slice(offset)) ? ',' : '';
    return SNIPPETS.map((s, rank) => {
      const layers = s.items.map((item, i) => {
        const followedByRecurrent = i < s.items.length - 1 || isRecurrent(next);
        return layerTemplate(item, { nextIsRecurrent: followedByRecurrent, numWords: typeof numWords === 'number' ? numWords : undefined });
      });
      const item = new vscode.CompletionItem(s.label, vscode.CompletionItemKind.Snippet);
      item.detail = s.detail;
      item.sortText = `0${rank}`;
      item.insertText = before + layers.map((l) => inlineJson(l)).join(', ') + after;
      item.documentation = new vscode.MarkdownString().appendCodeblock(layers.map((l) => inlineJson(l)).join(',\n'), 'json');
      const recurrentInsert = s.items.some((i) => ['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional'].includes(i));
      if (recurrentInsert && previous && isRecurrent(previous)) {
        // The layer before now feeds a recurrent layer: it must return sequences.
        const fix = previousReturnSequences(document, previous);
        if (fix) item.additionalTextEdits = [fix];
      }
      return item;
    });
  }
}

function previousReturnSequences(document: vscode.TextDocument, previous: LayerInfo): vscode.TextEdit | undefined {
  const config = previous.type === 'Bidirectional' ? previous.inner?.config : previous.config;
  if (config?.return_sequences === true) return undefined;
  const path = previous.type === 'Bidirectional' ? [...previous.path, 'layer'] : previous.path;
  const [edit] = setProperty(new ModelDocument(document.getText()), path, 'return_sequences', true);
  return edit && new vscode.TextEdit(toRange(edit.range), edit.newText);
}

export function registerLanguageFeatures(store: ModelStore): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.languages.registerHoverProvider(MODEL_SELECTOR, new HoverProvider(store)),
    vscode.languages.registerInlayHintsProvider(MODEL_SELECTOR, new InlayHintsProvider(store)),
    vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, new CodeLensProvider(store)),
    vscode.languages.registerCompletionItemProvider(MODEL_SELECTOR, new CompletionProvider(store)),
  );
}
