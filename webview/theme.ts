/**
 * Colours for what the panel draws on canvases (charts, heatmaps), read from VS Code's theme
 * variables, and a signal when the user switches themes (VS Code rewrites the variables on <html>
 * and the theme kind class on <body>).
 */

export interface ThemeColors {
  fg: string;
  muted: string;
  /** Grid lines: the foreground, faint. */
  grid: string;
  /** Axis lines. */
  axis: string;
  background: string;
  tooltipBackground: string;
  tooltipBorder: string;
  blue: string;
  orange: string;
  green: string;
  red: string;
  purple: string;
  yellow: string;
  font: string;
  mono: string;
  highContrast: boolean;
}

export function themeColors(): ThemeColors {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const fg = v('--vscode-charts-foreground', v('--vscode-foreground', style.color));
  const muted = v('--vscode-descriptionForeground', withAlpha(fg, 0.7));
  const background = v('--vscode-editor-background', style.backgroundColor);
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const border = v('--vscode-contrastBorder', v('--vscode-editorWidget-border', v('--vscode-widget-border', withAlpha(fg, 0.25))));
  return {
    fg,
    muted,
    grid: highContrast ? withAlpha(fg, 0.3) : withAlpha(fg, 0.09),
    axis: v('--vscode-charts-lines', withAlpha(fg, 0.35)),
    background,
    tooltipBackground: v('--vscode-editorHoverWidget-background', v('--vscode-editorWidget-background', background)),
    tooltipBorder: v('--vscode-editorHoverWidget-border', border),
    blue: v('--vscode-charts-blue', fg),
    orange: v('--vscode-charts-orange', fg),
    green: v('--vscode-charts-green', fg),
    red: v('--vscode-charts-red', v('--vscode-errorForeground', fg)),
    purple: v('--vscode-charts-purple', fg),
    yellow: v('--vscode-charts-yellow', fg),
    font: style.fontFamily || 'sans-serif',
    mono: v('--vscode-editor-font-family', 'monospace'),
    highContrast,
  };
}

/** `#3794ff`, `#37f`, `#3794ffcc`, `rgb(...)`, `rgba(...)` with a new alpha; other colours unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let r: number, g: number, b: number, a = 1;
  let m = /^#([0-9a-f]{3,8})$/i.exec(c);
  if (m && [3, 4, 6, 8].includes(m[1].length)) {
    const hex = m[1].length <= 4 ? [...m[1]].map((d) => d + d).join('') : m[1];
    [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
    if (hex.length === 8) a = parseInt(hex.slice(6, 8), 16) / 255;
  } else if ((m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/i.exec(c))) {
    [r, g, b] = [m[1], m[2], m[3]].map(Number);
    if (m[4] !== undefined) a = m[4].endsWith('%') ? parseFloat(m[4]) / 100 : Number(m[4]);
  } else {
    return c;
  }
  const out = Math.max(0, Math.min(1, a * alpha));
  return `rgba(${r}, ${g}, ${b}, ${Number(out.toFixed(3))})`;
}

const listeners = new Set<() => void>();
let observer: MutationObserver | null = null;
let scheduled = false;

/** Calls `listener` (once per frame at most) after the theme changed; returns the unsubscribe. */
export function onThemeChange(listener: () => void): () => void {
  listeners.add(listener);
  if (!observer) {
    observer = new MutationObserver(() => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        for (const l of [...listeners]) l();
      });
    });
    observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  }
  return () => listeners.delete(listener);
}
