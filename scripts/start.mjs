// `npm start`: opens examples/ with the extension loaded. Desktop VS Code (`code`) when it is on
// PATH; otherwise the local VS Code server used by the tests, with the URL to open in a browser.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(root, 'examples');

spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode && !process.argv.includes('--server')) {
  spawn('code', ['--extensionDevelopmentPath', root, examples], { stdio: 'inherit', detached: true }).unref();
  console.log('Opened examples/ in VS Code with RNN Studio loaded from this checkout.');
} else {
  const { ensureVSCodeServer, startServer, workbenchUrl } = await import('../test/harness/vscode-server.mjs');
  await ensureVSCodeServer({ log: (line) => console.log(line) });
  const port = Number(process.env.PORT ?? 8090);
  const state = path.join(root, '.vscode-test', 'start');
  const server = await startServer({
    port,
    userDataDir: path.join(state, 'user-data'),
    serverDataDir: path.join(state, 'server-data'),
    extensionsDir: path.join(state, 'extensions'),
  });
  const url = workbenchUrl({ baseUrl: server.baseUrl, port: server.port, folder: examples, extensionDevelopmentPath: root });
  console.log(`\nRNN Studio is running in the VS Code server. Open this URL in a browser:\n\n  ${url}\n\nCtrl-C stops the server.`);
  process.on('SIGINT', async () => {
    await server.stop();
    process.exit(0);
  });
}
