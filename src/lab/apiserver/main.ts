// CLI entry of the embedded API server, for a person at a shell:
//   node src/lab/apiserver/main.ts [--port N] [--host ADDR] [--kubeconfig PATH] [--socket PATH]
// Prints the kubeconfig path (use it as KUBECONFIG) and serves until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startApiServer } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    kubeconfig: { type: 'string' },
    socket: { type: 'string' },
  },
});
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`apiserver: invalid --port ${String(values.port)}`);
  process.exitCode = 2;
} else {
  const server = await startApiServer({
    port,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.kubeconfig !== undefined ? { kubeconfigPath: values.kubeconfig } : {}),
    ...(values.socket !== undefined ? { socketPath: values.socket } : {}),
  });
  console.log(server.kubeconfigPath);
  console.error(`apiserver: serving ${server.url}; export KUBECONFIG=${server.kubeconfigPath}`);
  const stop = (): void => {
    void server.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
