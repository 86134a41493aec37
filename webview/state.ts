/**
 * The webview side of VS Code's API and the little UI state that survives a reload
 * (`setState` is kept by VS Code while the panel is hidden or the window reloads).
 */
import { PALETTE, type FromDesignerMessage, type PaletteItem } from '../src/protocol/designer';
import { isRunId } from './sanitize';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export type TabId = 'layers' | 'summary' | 'training' | 'runs' | 'memory' | 'compare';
/** In the order of the tab headers. */
export const TABS: readonly TabId[] = ['layers', 'summary', 'training', 'runs', 'memory', 'compare'];

export interface UiState {
  tab: TabId;
  selected: number | null;
  palette: PaletteItem;
  /** The model file shown, so the host can reopen it after a window reload. */
  uri?: string;
  /** The run the Memory tab inspects and predicts with (absent: the newest). */
  run?: string;
  /** The runs whose curves the Runs tab overlays (at most two). */
  compareRuns: string[];
  /** The Compare tab's "also Bidirectional" box. */
  bidirectional: boolean;
}

const DEFAULT_STATE: UiState = { tab: 'layers', selected: null, palette: 'LSTM', compareRuns: [], bidirectional: false };

/** Reads back what a previous instance saved; anything unexpected falls back to the default. */
export function readState(raw: unknown): UiState {
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_STATE, compareRuns: [] };
  const s = raw as Record<string, unknown>;
  return {
    tab: TABS.includes(s.tab as TabId) ? (s.tab as TabId) : DEFAULT_STATE.tab,
    selected: typeof s.selected === 'number' && Number.isInteger(s.selected) && s.selected >= 0 ? s.selected : null,
    palette: PALETTE.includes(s.palette as PaletteItem) ? (s.palette as PaletteItem) : DEFAULT_STATE.palette,
    uri: typeof s.uri === 'string' ? s.uri : undefined,
    run: isRunId(s.run) ? s.run : undefined,
    compareRuns: Array.isArray(s.compareRuns) ? s.compareRuns.filter(isRunId).slice(0, 2) : [],
    bidirectional: s.bidirectional === true,
  };
}

export interface Host {
  post(message: FromDesignerMessage): void;
  load(): UiState;
  save(state: UiState): void;
}

/** `acquireVsCodeApi` may be called once per page, so one `Host` wraps it. */
export function connectHost(): Host {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    load: () => readState(api.getState()),
    save: (state) => api.setState(state),
  };
}
