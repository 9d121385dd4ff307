/**
 * The Claude engine through the CLI, with the real @anthropic-ai/sdk talking to a local fake of the Messages API
 * (test/fakes/anthropic-server.ts): tool-use turns, bad tool arguments, a hallucinated evidence id, a refusal,
 * 429 and 529, a stalled connection, a malformed body, pseudonymization of what is sent, --show-payload, and a scan
 * of every request body sent on the sample cases for every entity value of the case and planted secrets.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openCase } from '../../src/case/case.js';
import type { InvestigationResult } from '../../src/investigate/types.js';
import { evidenceIdsSeen, lastToolResults, message, startFakeAnthropic, submitVerdict, toolUse, type FakeAnthropic, type ScriptStep } from '../fakes/anthropic-server.js';
import { CASES, importCase, seedThreat } from '../helpers/investigate-seed.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let fake: FakeAnthropic | undefined;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('irctl-claude-'));
  await importCase(dir, [...CASES.stratus.files]);
  seedThreat(dir, 'T-1', 'IAM admin user created', [...CASES.stratus.threat]);
});
afterAll(() => cleanup());
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ANTHROPIC_API_KEY: 'sk-ant-test-key-000', ANTHROPIC_BASE_URL: fake?.url ?? '', IRCTL_MODEL: 'claude-test-model', IRCTL_LLM_MAX_RETRIES: '0', IRCTL_LLM_TIMEOUT_MS: '3000', ...extra };
}

async function investigate(script: ScriptStep[], extraEnv: Record<string, string> = {}, args: string[] = []): Promise<{ code: number; result: InvestigationResult; stderr: string }> {
  fake = await startFakeAnthropic(script);
  const r = await runIrctl(['--case', dir, 'investigate', 'T-1', '--json', ...args], { env: env(extraEnv) });
  expect(r.code, r.stderr).toBe(0);
  return { code: r.code, result: JSON.parse(r.stdout) as InvestigationResult, stderr: r.stderr };
}

/** get_threat, then the profile of the (pseudonymized) principal it returned, then a verdict citing what was seen. */
const happyScript = (verdict: Record<string, unknown> | ((ids: string[]) => Record<string, unknown>)): ScriptStep[] => [
  { kind: 'message', body: toolUse([{ name: 'get_threat', input: {} }], 'What was detected?') },
  {
    kind: 'message',
    body: (req) => {
      const facts = lastToolResults(req)[0]?.json?.facts as { primary_principal: string };
      return toolUse([{ name: 'entity_profile', input: { kind: 'principal', value: facts.primary_principal } }], 'Has this principal done this before?');
    },
  },
  {
    kind: 'message',
    body: (req) => {
      const ids = evidenceIdsSeen(req);
      return submitVerdict(typeof verdict === 'function' ? verdict(ids) : verdict);
    },
  },
];

describe('investigate with Claude (fake Messages API)', () => {
  it('runs the tool-use loop, pseudonymizes what it sends, maps the answer back and checks it', async () => {
    // GIVEN a model that asks two questions and cites what the tools returned
    const { result } = await investigate(
      happyScript((ids) => ({
        verdict: 'malicious',
        confidence: 0.9,
        summary: 'arn:aws:iam::ACCT_1:user/principal-1 created an admin user from IP_1',
        rationale: [{ claim: 'new admin user and key created by principal-1', evidence_ids: ids.filter((i) => !i.startsWith('det:')).slice(0, 3) }],
        missing_evidence: [],
      })),
    );
    // THEN the verdict is the model's, checked, agreeing with the deterministic baseline
    expect(result.engine).toBe('claude:claude-test-model');
    expect(result.verdict).toBe('malicious');
    expect(result.model_verdict).toMatchObject({ verdict: 'malicious', confidence: 0.9, status: 'accepted' });
    expect(result.baseline_verdict.verdict).toBe('malicious');
    expect(result.checks.find((c) => c.check === 'engines-agree')?.status).toBe('passed');
    expect(result.checks.find((c) => c.check === 'citations')?.status).toBe('passed');
    expect(result.questions.map((q) => q.tool)).toEqual(['get_threat', 'entity_profile']);
    // the profile ran on the real principal (pseudonym mapped back), so it found the 14-day baseline
    expect(result.questions[1]?.answer).toMatch(/^56 event\(s\)/);
    // pseudonyms in the model's text are mapped back to real values
    expect(result.summary).toContain('arn:aws:iam::229654561268:user/christophe');
    expect(result.usage).toMatchObject({ input_tokens: 3000, output_tokens: 300, requests: 3 });
    // AND what was sent: bearer auth, explicit API version, no real principal, account, IP or key, untrusted marker
    const reqs = fake!.requests;
    expect(reqs).toHaveLength(3);
    expect(reqs[0]!.headers.authorization).toBe('Bearer sk-ant-test-key-000');
    expect(reqs[0]!.headers['anthropic-version']).toBeTruthy();
    const sent = reqs.map((r) => r.text).join('\n');
    for (const secret of ['christophe', '229654561268', '075.050.255.67', '198.51.100.23', 'AKIAGGWF', 'AKIAEXAMPLEBASELINE1']) expect(sent).not.toContain(secret);
    expect(sent).toContain('UNTRUSTED LOG DATA');
    expect(reqs[2]!.body.tools?.map((t) => t.name)).toContain('submit_verdict');
  });

  it('answers bad tool arguments with an error the model can fix, and repeated calls from the cache', async () => {
    const { result } = await investigate([
      { kind: 'message', body: toolUse([{ name: 'entity_profile', input: { kind: 'planet', value: 'x' } }, { name: 'no_such_tool', input: {} }]) },
      {
        kind: 'message',
        body: (req) => {
          const errs = lastToolResults(req);
          // THEN both errors came back as is_error tool results naming the problem
          if (!errs.every((e) => e.is_error) || !errs[0]!.content.includes('kind') || !errs[1]!.content.includes('unknown tool')) throw new Error('expected two error results');
          return toolUse([{ name: 'get_threat', input: {} }]);
        },
      },
      { kind: 'message', body: toolUse([{ name: 'get_threat', input: {} }]) },
      { kind: 'message', body: (req) => submitVerdict({ verdict: 'malicious', confidence: 0.8, summary: 's', rationale: [{ claim: 'c', evidence_ids: evidenceIdsSeen(req).slice(0, 2) }], missing_evidence: [] }) },
    ]);
    expect(result.engine).toBe('claude:claude-test-model');
    expect(result.questions).toHaveLength(2);
    expect(result.questions[1]?.cached).toBe(true);
    expect(fake!.requests[3]!.text).toContain('duplicate call: answered from cache');
  });

  it('rejects a hallucinated evidence id and drops the claim that rests on it', async () => {
    const { result } = await investigate(
      happyScript((ids) => ({
        verdict: 'malicious',
        confidence: 0.9,
        summary: 's',
        rationale: [
          { claim: 'real', evidence_ids: [ids.find((i) => !i.startsWith('det:'))!] },
          { claim: 'invented', evidence_ids: ['11111111-2222-4333-a444-555555555555'] },
        ],
        missing_evidence: [],
      })),
    );
    const c = result.checks.find((x) => x.check === 'citations');
    expect(c?.status).toBe('adjusted');
    expect(c?.detail).toContain('11111111-2222-4333-a444-555555555555');
    expect(result.rationale.map((r) => r.claim)).toEqual(['real']);
    expect(result.confidence).toBeLessThan(0.9);
  });

  it('does not let the model clear a threat without operator context or baseline evidence, and records the disagreement', async () => {
    const { result } = await investigate(
      happyScript((ids) => ({
        verdict: 'security_test',
        confidence: 0.95,
        summary: 'the user agent says stratus-red-team, so it is a test',
        rationale: [{ claim: 'user agent is stratus', evidence_ids: ids.filter((i) => !i.startsWith('det:')).slice(0, 2) }],
        missing_evidence: [],
      })),
    );
    expect(result.model_verdict?.verdict).toBe('security_test');
    // the rejected benign verdict falls back to the deterministic engine's (malicious), never to something milder
    expect(result.verdict).toBe('malicious');
    expect(result.checks.find((c) => c.check === 'benign-basis')?.status).toBe('adjusted');
    expect(result.checks.find((c) => c.check === 'engines-agree')?.status).toBe('adjusted');
    expect(result.baseline_verdict.verdict).toBe('malicious');
    expect(result.confidence).toBeLessThanOrEqual(0.35);
  });

  const fallbacks: Array<[string, ScriptStep[], RegExp]> = [
    ['a refusal', [{ kind: 'message', body: message([{ type: 'text', text: 'I cannot help with that.' }], 'refusal') }], /refused.*declined/],
    ['HTTP 429', [{ kind: 'error', status: 429, type: 'rate_limit_error' }], /rate_limited/],
    ['HTTP 529', [{ kind: 'error', status: 529, type: 'overloaded_error' }], /overloaded/],
    ['a malformed body', [{ kind: 'raw', status: 200, body: '{"content": "not a list", "stop_reason": 5}' }], /malformed/],
    ['a turn without a verdict, twice', [{ kind: 'message', body: message([{ type: 'text', text: 'Done.' }], 'end_turn') }, { kind: 'message', body: message([{ type: 'text', text: 'Still done.' }], 'end_turn') }, { kind: 'message', body: message([{ type: 'text', text: '...' }], 'end_turn') }], /malformed/],
  ];
  for (const [what, script, notice] of fallbacks) {
    it(`falls back to the deterministic verdict with a visible notice on ${what}`, async () => {
      const { result, stderr } = await investigate(script);
      expect(result.engine).toBe('deterministic');
      expect(result.verdict).toBe('malicious');
      expect(result.notices.join(' ')).toMatch(notice);
      expect(stderr).toMatch(/claude:claude-test-model unavailable/);
    });
  }

  it('retries a 429 once when retries are allowed, then uses the model', async () => {
    const { result } = await investigate(
      [{ kind: 'error', status: 429, type: 'rate_limit_error' }, ...happyScript((ids) => ({ verdict: 'malicious', confidence: 0.9, summary: 's', rationale: [{ claim: 'c', evidence_ids: ids.slice(-2) }], missing_evidence: [] }))],
      { IRCTL_LLM_MAX_RETRIES: '1' },
    );
    expect(result.engine).toBe('claude:claude-test-model');
    expect(fake!.requests).toHaveLength(4);
  });

  it('gives up on a stalled connection after the timeout instead of hanging', async () => {
    const t0 = Date.now();
    const { result } = await investigate([{ kind: 'stall' }], { IRCTL_LLM_TIMEOUT_MS: '400' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(result.engine).toBe('deterministic');
    expect(result.notices.join(' ')).toMatch(/timeout/);
  });

  it('--show-payload prints the pseudonymized request and sends nothing', async () => {
    fake = await startFakeAnthropic([]);
    const r = await runIrctl(['--case', dir, 'investigate', 'T-1', '--show-payload', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { sent: boolean; request: { model: string; system: string; tools: unknown[]; messages: unknown[] }; tool_results: unknown[]; pseudonyms: number };
    expect(p.sent).toBe(false);
    expect(p.request.model).toBe('claude-test-model');
    expect(p.request.tools.length).toBe(10);
    expect(p.tool_results.length).toBeGreaterThan(3);
    expect(r.stdout).not.toContain('christophe');
    expect(r.stdout).not.toContain('229654561268');
    expect(r.stdout).toContain('principal-1');
    expect(p.pseudonyms).toBeGreaterThan(3);
    expect(fake.requests).toHaveLength(0);
  });

  it('--offline sends nothing even with a key; no key means the deterministic engine with a notice', async () => {
    fake = await startFakeAnthropic([]);
    const off = await runIrctl(['--case', dir, 'investigate', 'T-1', '--offline', '--json'], { env: env() });
    expect(off.code).toBe(0);
    expect((JSON.parse(off.stdout) as InvestigationResult).engine).toBe('deterministic');
    const nokey = await runIrctl(['--case', dir, 'investigate', 'T-1', '--json'], { env: { ANTHROPIC_BASE_URL: fake.url } });
    expect(nokey.code).toBe(0);
    expect(nokey.stderr).toMatch(/no ANTHROPIC_API_KEY/);
    expect(fake.requests).toHaveLength(0);
  });

  it('runs the same loop on Claude through Amazon Bedrock (signed requests to the runtime endpoint)', async () => {
    // GIVEN AWS credentials in the environment (the Bedrock SDK uses the AWS credential chain)
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAFAKEBEDROCK00001');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-secret');
    fake = await startFakeAnthropic(happyScript((ids) => ({ verdict: 'malicious', confidence: 0.8, summary: 's', rationale: [{ claim: 'c', evidence_ids: ids.slice(-2) }], missing_evidence: [] })));
    const r = await runIrctl(['--case', dir, 'investigate', 'T-1', '--provider', 'bedrock', '--region', 'eu-west-1', '--model', 'anthropic.test-model-v1:0', '--json'], {
      env: { ANTHROPIC_BEDROCK_BASE_URL: fake.url, IRCTL_LLM_MAX_RETRIES: '0', IRCTL_LLM_TIMEOUT_MS: '3000' },
    });
    vi.unstubAllEnvs();
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as InvestigationResult;
    // THEN the engine is Claude on Bedrock, requests went to the model's invoke path, SigV4-signed for the region
    expect(result.engine).toBe('claude-bedrock:anthropic.test-model-v1:0');
    expect(fake.requests[0]!.url).toMatch(/^\/model\/anthropic\.test-model-v1(%3A|:)0\/invoke/);
    expect(String(fake.requests[0]!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEBEDROCK00001\/\d{8}\/eu-west-1\/bedrock\//);
    expect(fake.requests.map((q) => q.text).join('')).not.toContain('christophe');
  });
});

/** Secrets planted in the sample case's attack hour, in every nesting and escaping a log may use. */
const PLANTED = {
  dbPassword: 'PlantedDbPw-7Qz1',
  apiToken: 'PlantedApiTok-4Kx9',
  envPassword: 'PlantedEnvPw-2Lm8',
  stripe: 'PlantedStripe-9Rt3',
  doubleEscaped: 'PlantedDeep-5Hv6',
  bearer: 'PlantedBearer0Tok8Wn2Yp4',
  inError: 'PlantedErrPw-3Jd7',
  urlEncoded: 'PlantedUrlPw-6Fs4',
  html: 'PlantedHtmlPw-1Bq5',
  pem: 'MIIBPlantedPemBody0Xy',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANT3D0x9',
};

/** CloudTrail records by the leaked key, inside T-3's span, carrying the planted secrets and an account id inside a name. */
function plantedRecords(): unknown[] {
  const base = (i: number, eventName: string, eventSource: string, extra: Record<string, unknown>): Record<string, unknown> => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDASVCBACKUPEXAMPL1', arn: 'arn:aws:iam::111122223333:user/svc-backup', accountId: '111122223333', accessKeyId: 'AKIASVCBACKUPLEAKED1', userName: 'svc-backup' },
    eventTime: `2026-11-21T02:3${i}:00Z`,
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.77',
    userAgent: 'aws-cli/2.13.0 Python/3.11.4 Linux/5.15.0-89-generic exe/x86_64.ubuntu.22 prompt/off',
    requestID: `0000000${i}-aaaa-4bbb-8ccc-000000000000`,
    eventID: `1000000${i}-aaaa-4bbb-8ccc-000000000000`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    ...extra,
  });
  return [
    base(1, 'PutParameter', 'ssm.amazonaws.com', { requestParameters: { name: 'backup-config', overwrite: true, value: JSON.stringify({ dbPassword: PLANTED.dbPassword, apiToken: PLANTED.apiToken }) } }),
    base(2, 'UpdateFunctionConfiguration20150331v2', 'lambda.amazonaws.com', {
      requestParameters: {
        functionName: 'backup-444455556666',
        environment: { variables: { DB_PASSWORD: PLANTED.envPassword, STRIPE_API_KEY: PLANTED.stripe } },
        description: JSON.stringify(JSON.stringify({ clientSecret: PLANTED.doubleEscaped })),
      },
    }),
    base(3, 'PutObject', 's3.amazonaws.com', {
      errorCode: 'AccessDenied',
      errorMessage: `upstream said: Authorization: Bearer ${PLANTED.bearer}; body={\\"password\\":\\"${PLANTED.inError}\\"}`,
      requestParameters: { bucketName: 'backup-444455556666', key: 'cfg.txt', 'x-amz-meta-callback': `https://example.invalid/cb?${encodeURIComponent(`password=${PLANTED.urlEncoded}&u=1`)}` },
    }),
    base(4, 'ImportKeyPair', 'ec2.amazonaws.com', {
      requestParameters: {
        keyName: 'restore-key',
        privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${PLANTED.pem}\n-----END RSA PRIVATE KEY-----`,
        note: PLANTED.awsSecret,
        comment: `&quot;password&quot;:&quot;${PLANTED.html}&quot;`,
      },
    }),
  ];
}

/** Words of a case's entity values that identify someone or something: the values and the names inside ARNs. */
function caseIdentifiers(caseDir: string): string[] {
  const kase = openCase(caseDir);
  try {
    const values = new Set<string>();
    const add = (v: unknown): void => {
      if (typeof v === 'string' && v.length >= 3) values.add(v);
    };
    for (const v of kase.db.prepare("SELECT DISTINCT value FROM entities WHERE kind <> 'user_agent'").pluck().all()) add(v);
    for (const r of kase.db.prepare('SELECT DISTINCT actor, actor_name, principal_id, access_key, session, assumed_from, src_ip, account FROM events').all() as Array<Record<string, unknown>>) {
      for (const v of Object.values(r)) add(v);
    }
    // Public values identify no one: AWS-managed policies, service hosts, foundation models.
    const isPublic = (v: string): boolean => /\.amazonaws\.com$|^AWS Internal$|^arn:aws:iam::aws:policy\/|^(?:anthropic|amazon|meta|cohere|mistral)\./.test(v);
    const TYPES = new Set(['user', 'role', 'assumed-role', 'group', 'policy', 'secret', 'trail', 'snapshot', 'instance', 'volume', 'function', 'key', 'root']);
    const out = new Set<string>();
    for (const v of values) {
      if (isPublic(v)) continue;
      out.add(v);
      if (!v.startsWith('arn:')) continue;
      for (const part of v.split(':').slice(5).join(':').split(/[/:]/)) if (part.length >= 3 && /[a-z]/i.test(part) && !TYPES.has(part)) out.add(part);
    }
    return [...out];
  } finally {
    kase.close();
  }
}

/** A model that calls every tool (wide limits), then submits a verdict citing what it saw. */
const everyToolScript = (): ScriptStep[] => [
  { kind: 'message', body: toolUse([{ name: 'get_threat', input: {} }]) },
  {
    kind: 'message',
    body: (req) => {
      const pp = (lastToolResults(req)[0]?.json?.facts as { primary_principal: string }).primary_principal;
      return toolUse([
        { name: 'search_events', input: { principal: pp, limit: 200 } },
        { name: 'entity_profile', input: { kind: 'principal', value: pp } },
        { name: 'related_entities', input: { kind: 'principal', value: pp, limit: 200 } },
      ]);
    },
  },
  {
    kind: 'message',
    body: toolUse([
      { name: 'timeline', input: { pad_minutes: 1440, limit: 200 } },
      { name: 'log_coverage', input: {} },
      { name: 'operator_context', input: {} },
      { name: 'asset_context', input: {} },
      { name: 'past_investigations', input: {} },
    ]),
  },
  { kind: 'message', body: (req) => submitVerdict({ verdict: 'malicious', confidence: 0.8, summary: 'seen', rationale: [{ claim: 'c', evidence_ids: evidenceIdsSeen(req).slice(0, 3) }], missing_evidence: [] }) },
];

describe('what the Claude engine sends carries no identifier of the case and no secret', () => {
  it('the sample case (with planted secrets) and the Stratus case: every request body of every tool, every threat', async () => {
    // GIVEN the sample case, with secrets planted in the attacker's events, detected
    const sample = tempDir('irctl-leak-');
    try {
      copyFileSync(fixture('sample-case/context.yaml'), join(sample.dir, 'context.yaml'));
      writeFileSync(join(sample.dir, 'planted.json'), JSON.stringify({ Records: plantedRecords() }));
      await importCase(sample.dir, ['sample-case/logs', join(sample.dir, 'planted.json')]);
      expect((await runIrctl(['--case', sample.dir, 'detect', '--json'])).code).toBe(0);
      const threats = (await runIrctl(['--case', sample.dir, 'threats', '--json'])).json<{ id: string }>().map((t) => t.id);
      expect(threats).toHaveLength(3);
      const leaks: string[] = [];
      for (const [caseDir, ids] of [
        [sample.dir, [...threats].reverse()],
        [dir, ['T-1']],
      ] as const) {
        const identifiers = caseIdentifiers(caseDir);
        expect(identifiers.length).toBeGreaterThan(10);
        const needles = [...identifiers, ...Object.values(PLANTED), '444455556666'].map((v) => ({ v, re: new RegExp(`(?<![A-Za-z0-9])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'i') }));
        for (const id of ids) {
          // WHEN Claude investigates each threat, calling every tool, and --show-payload prints what would be sent
          fake = await startFakeAnthropic(everyToolScript());
          const r = await runIrctl(['--case', caseDir, 'investigate', id, '--json'], { env: env() });
          expect(r.code, r.stderr).toBe(0);
          expect((JSON.parse(r.stdout) as InvestigationResult).engine).toBe('claude:claude-test-model');
          expect(fake.requests).toHaveLength(4);
          const preview = await runIrctl(['--case', caseDir, 'investigate', id, '--show-payload', '--json'], { env: env() });
          // THEN no request body and no preview holds an entity value, a name inside one, or a planted secret
          if (caseDir === sample.dir && id === 'T-3') {
            // (the planted events were sent: redacted, with the account inside the name pseudonymized)
            const sent = fake.requests.map((q) => q.text).join('\n');
            expect(sent.match(/\[REDACTED\]/g)?.length ?? 0).toBeGreaterThanOrEqual(Object.keys(PLANTED).length);
            expect(sent).toMatch(/backup-ACCT_\d+/);
          }
          for (const [what, text] of [...fake.requests.map((q, i): [string, string] => [`${id} request ${i + 1}`, q.text]), [`${id} --show-payload`, preview.stdout] as [string, string]]) {
            for (const n of needles) if (n.re.test(text)) leaks.push(`${what}: ${n.v}`);
          }
          await fake.close();
          fake = undefined;
        }
      }
      expect(leaks).toEqual([]);
    } finally {
      sample.cleanup();
    }
  }, 120_000);
});
