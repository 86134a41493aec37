/** The pure core: no `vscode`, DOM or TensorFlow imports, so every part of RNN Studio can use it. */
export * from './types';
export { analyzeModel, dtypePolicyOf, DEFAULT_OPTIONS } from './analyze';
export { ModelDocument, LineIndex } from './document';
export { setProperty, setProperties, replaceValue, removeProperty, removeArrayItem, inlineJson } from './edits';
export { formatSummary, formatDiagnostic, formatTotalParams, layerHint, partialNote, dtypePolicyNote } from './summary';
export { tokenIdsMessage, SPAM_ASSASSIN_VOCABULARY } from './tokenIds';
export { estimateTrainingMemory, formatMemoryEstimate, memoryProblem, sizingProperty, trainingSettings, MEMORY_OVERRIDE, WASM32_MEMORY_BYTES, type MemoryEstimate, type MemoryLimit, type TrainingSettings } from './memory';
export { formatShape, formatCount, formatBytes, snakeCase } from './shapes';
export { LAYER_TYPES, layerSchema, modelSchema, schemaAt, closest } from './schema';
export { isRecurrentType, RECURRENT_TYPES } from './layers';
export { applyAll, applyLayerEdit, changedSpan, fixAllEdits, preferredFix, RETURN_SEQUENCES_CODES, layerTemplate, recurrentPath, withAllSequences, withCellType } from './layerEdits';
