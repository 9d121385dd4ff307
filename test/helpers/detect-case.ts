/**
 * Shared set-up of the detect / threats / timeline CLI tests: the sample case with its operator context, and a folder
 * of small Sigma rules (plus one that uses an unsupported modifier).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, runIrctl } from './run-irctl.js';

export const STOP_RULE = `title: CloudTrail logging stopped or deleted (irctl test rule)
id: 5f1b1c9e-1b7e-4c55-9d3c-000000000001
status: test
description: A trail was stopped or deleted.
author: irctl tests
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName:
      - StopLogging
      - DeleteTrail
  condition: selection
level: high
tags:
  - attack.defense-evasion
  - attack.t1562.008
`;

export const CREATE_USER_RULE = `title: IAM user created (irctl test rule)
id: 5f1b1c9e-1b7e-4c55-9d3c-000000000002
status: test
author: irctl tests
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: iam.amazonaws.com
    eventName: CreateUser
  condition: selection
level: medium
tags:
  - attack.persistence
  - attack.t1136.003
`;

export const BROKEN_RULE = `title: uses an unsupported modifier
id: 5f1b1c9e-1b7e-4c55-9d3c-000000000003
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName|nosuchmodifier: Stop
  condition: selection
level: low
`;

/** A case with the sample logs and the operator context, and a folder of test rules. */
export async function sampleCase(dir: string): Promise<string> {
  const c = join(dir, 'case');
  mkdirSync(c, { recursive: true });
  cpSync(fixture('sample-case', 'context.yaml'), join(c, 'context.yaml'));
  const r = await runIrctl(['--case', c, 'import', fixture('sample-case', 'logs')]);
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  return c;
}

/** Write the test rules (and optionally the broken one) into `dir`. */
export function writeRules(dir: string, broken = false): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'stop.yml'), STOP_RULE);
  writeFileSync(join(dir, 'create-user.yml'), CREATE_USER_RULE);
  if (broken) writeFileSync(join(dir, 'broken.yml'), BROKEN_RULE);
  return dir;
}

