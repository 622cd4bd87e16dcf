#!/usr/bin/env node
// podnet-install-cni: the DaemonSet's init container (src/deploy/install-cni.ts).
// Usage: podnet-install-cni --template FILE --out FILE [--kubeconfig FILE]
// (NODE_NAME from the environment). Exits 1 with the reason on failure.
import { parseArgs } from 'node:util';
import { InstallError, installCni } from '../deploy/install-cni.ts';
import { KubeTransport, loadKubeConfig } from '../k8s/transport.ts';

try {
  const { values } = parseArgs({
    options: { template: { type: 'string' }, out: { type: 'string' }, kubeconfig: { type: 'string', default: '' } },
    strict: true,
  });
  if (values.template === undefined || values.out === undefined) throw new InstallError('--template and --out are required');
  const transport = new KubeTransport(loadKubeConfig({ kubeconfig: values.kubeconfig, master: '' }));
  await installCni({ transport, nodeName: process.env['NODE_NAME'] ?? '', template: values.template, out: values.out });
  process.stdout.write(`wrote ${values.out}\n`);
} catch (err) {
  process.stderr.write(`podnet-install-cni: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
