// Runs inside a test's network namespace (ip netns exec NS node ...): applies
// the desired routes given as JSON on argv[2] with the real netlink table and
// prints the result as JSON. "cleanup" instead of JSON removes podnet's routes.
import { applyRoutes, cleanupRoutes } from '../../routes/apply.ts';
import { MAIN_TABLE, NetlinkRouteTable, PODNET_RTPROT } from '../../src/kernel/netlink/routes.ts';
import type { KernelRoute } from '../../src/kernel/netlink/routes.ts';

const table = new NetlinkRouteTable();
const arg = process.argv[2] ?? '[]';
const result =
  arg === 'cleanup'
    ? await cleanupRoutes(table, PODNET_RTPROT, MAIN_TABLE)
    : arg === 'list'
      ? await table.list(PODNET_RTPROT, MAIN_TABLE)
      : await applyRoutes(table, JSON.parse(arg) as KernelRoute[], PODNET_RTPROT, MAIN_TABLE);
process.stdout.write(`${JSON.stringify(result)}\n`);
table.close();
process.exit(0);
