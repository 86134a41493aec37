import * as vscode from 'vscode';

/**
 * Which model files are open in tabs, for commands run from the palette while the focus is
 * elsewhere (the designer, a terminal, another file): keeps the `rnnStudio.modelOpen` context key
 * that package.json's `commandPalette` entries test, and remembers the model edited last.
 */
export class ModelTabs implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Open model URIs, the most recently active first. */
  private recent: string[] = [];

  constructor() {
    this.disposables.push(
      vscode.window.tabGroups.onDidChangeTabs(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        const uri = editor?.document.uri.toString();
        if (uri && isModelUri(editor!.document.uri)) this.recent = [uri, ...this.recent.filter((u) => u !== uri)];
        this.update();
      }),
    );
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && isModelUri(active)) this.recent = [active.toString()];
    this.update();
  }

  /** The model a palette command means when the active editor is not one: the one used last, if still open. */
  current(): vscode.Uri | undefined {
    const open = this.openUris();
    const byRecency = this.recent.find((u) => open.has(u));
    return byRecency ? vscode.Uri.parse(byRecency) : [...open].map((u) => vscode.Uri.parse(u))[0];
  }

  private openUris(): Set<string> {
    const open = new Set<string>();
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (tab.input instanceof vscode.TabInputText && isModelUri(tab.input.uri)) open.add(tab.input.uri.toString());
      }
    }
    return open;
  }

  private update(): void {
    const open = this.openUris();
    this.recent = this.recent.filter((u) => open.has(u));
    void vscode.commands.executeCommand('setContext', 'rnnStudio.modelOpen', open.size > 0);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function isModelUri(uri: vscode.Uri): boolean {
  return uri.path.endsWith('.rnn.json');
}
