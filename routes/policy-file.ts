// --bgp-policy-file: the named routing policies (bgp/policy, YAML or JSON:
// `policies: [...]`) that --peer-router-import-policy / -export-policy attach
// to the external peers. Read when the speaker starts; a bad file is refused
// with every problem named (podnetd exits 2 at start-up, so nothing runs on a
// policy it did not understand).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parsePolicies, PolicyError, type PolicyDefinition } from '../bgp/index.ts';

export function loadPolicyFile(path: string): PolicyDefinition[] {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PolicyError([`${path}: ${e instanceof Error ? e.message : String(e)}`]);
  }
  try {
    return parsePolicies(data);
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(e.problems.map((p) => `${path}: ${p}`));
    throw e;
  }
}
