// Deterministic synthetic records of the non-CloudTrail layers, in each service's native shape, for the benchmarks
// (bench-import --source, bench-detect --mix). Each maker takes (i, rnd, t): a record index, a seeded PRNG and an epoch
// ms time; records are about CloudTrail's size so rates compare the adapters, not the bytes.

export const ACCOUNT = '111122223333';
const REGIONS = ['us-east-1', 'eu-west-1'];
export const UAS = ['aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.cp', 'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 lang/python#3.11.8', 'aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36'];

/** A seeded PRNG (mulberry32). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const AZ_SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const AZ_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AZ_OPS = [
  ['Microsoft.Compute/virtualMachines/write', 'Administrative'], ['Microsoft.Storage/storageAccounts/listKeys/action', 'Administrative'],
  ['Microsoft.Authorization/roleAssignments/write', 'Administrative'], ['Microsoft.Network/networkSecurityGroups/securityRules/write', 'Administrative'],
  ['Microsoft.KeyVault/vaults/write', 'Administrative'], ['Microsoft.Insights/diagnosticSettings/delete', 'Administrative'],
  ['Microsoft.Compute/virtualMachines/runCommand/action', 'Administrative'], ['Microsoft.Resources/deployments/write', 'Administrative'],
];
const uuidOf = (rnd, i) => {
  const h = (n) => Math.floor(rnd() * 16 ** n).toString(16).padStart(n, '0');
  return `${h(8)}-${(i >>> 16).toString(16).padStart(4, '0')}-4${(i & 0xfff).toString(16).padStart(3, '0')}-8${h(3)}-${i.toString(16).padStart(12, '0')}`;
};

export function azureRecord(i, rnd, t) {
  const [op, category] = AZ_OPS[Math.floor(rnd() * AZ_OPS.length)];
  const n = Math.floor(rnd() * 60);
  const upn = `user${n}@contoso.example`;
  const rg = `rg-${Math.floor(rnd() * 12)}`;
  const rid = `/SUBSCRIPTIONS/${AZ_SUB.toUpperCase()}/RESOURCEGROUPS/${rg.toUpperCase()}/PROVIDERS/${op.split('/').slice(0, 2).join('/').toUpperCase()}/ITEM-${i.toString(36).toUpperCase()}`;
  const failed = rnd() < 0.05;
  const ip = `198.51.100.${Math.floor(rnd() * 200)}`;
  return {
    RoleLocation: 'West Europe',
    time: new Date(t).toISOString().replace('Z', '0000Z'),
    resourceId: rid,
    operationName: op.toUpperCase(),
    category,
    resultType: failed ? 'Failure' : 'Success',
    resultSignature: failed ? 'Forbidden' : 'Succeeded.OK',
    durationMs: String(Math.floor(rnd() * 3000)),
    callerIpAddress: ip,
    correlationId: uuidOf(rnd, i),
    identity: {
      authorization: { scope: rid.toLowerCase(), action: op, evidence: { role: 'Contributor', roleAssignmentScope: `/subscriptions/${AZ_SUB}`, roleAssignmentId: uuidOf(rnd, i).replace(/-/g, ''), roleDefinitionId: 'b24988ac618042a0ab8820f7382dd24c', principalId: uuidOf(rnd, n).replace(/-/g, ''), principalType: 'User' } },
      claims: { aud: 'https://management.core.windows.net/', iss: `https://sts.windows.net/${AZ_TENANT}/`, iat: String(Math.floor(t / 1000) - 600), 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': upn, 'http://schemas.microsoft.com/identity/claims/objectidentifier': uuidOf(rnd, n), ipaddr: ip, name: `User ${n}`, appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' },
    },
    level: failed ? 'Error' : 'Information',
    location: 'global',
    properties: { statusCode: failed ? 'Forbidden' : 'OK', serviceRequestId: uuidOf(rnd, i + 7), eventCategory: category, entity: rid, message: op, hierarchy: `${AZ_TENANT}/${AZ_SUB}` },
  };
}

const OKTA_TYPES = ['user.session.start', 'user.authentication.sso', 'user.authentication.auth_via_mfa', 'policy.evaluate_sign_on', 'user.account.update_password', 'application.user_membership.add', 'system.api_token.create', 'user.mfa.okta_verify.deny_push'];
export function oktaEvent(i, rnd, t) {
  const n = Math.floor(rnd() * 60);
  const failed = rnd() < 0.05;
  const type = OKTA_TYPES[Math.floor(rnd() * OKTA_TYPES.length)];
  return {
    actor: { id: `00u${String(n).padStart(17, '0')}`, type: 'User', alternateId: `user${n}@bench.example`, displayName: `User ${n}`, detailEntry: null },
    client: { userAgent: { rawUserAgent: UAS[Math.floor(rnd() * UAS.length)], os: 'Linux', browser: 'CHROME' }, zone: 'null', device: 'Computer', id: null, ipAddress: `198.51.100.${Math.floor(rnd() * 200)}`, geographicalContext: { city: 'Frankfurt', state: 'Hesse', country: 'Germany', postalCode: '60313', geolocation: { lat: 50.1109, lon: 8.6821 } } },
    device: null,
    authenticationContext: { authenticationProvider: null, credentialProvider: null, credentialType: null, issuer: null, interface: null, authenticationStep: 0, externalSessionId: `102${Math.floor(rnd() * 1e15).toString(36)}` },
    displayMessage: type, eventType: type,
    outcome: { result: failed ? 'FAILURE' : 'SUCCESS', reason: failed ? 'INVALID_CREDENTIALS' : null },
    published: new Date(t).toISOString(),
    securityContext: { asNumber: 64500 + (n % 20), asOrg: 'bench transit', isp: 'bench isp', domain: 'bench.example', isProxy: false },
    severity: failed ? 'WARN' : 'INFO',
    debugContext: { debugData: { requestId: Math.floor(rnd() * 1e15).toString(36), requestUri: '/api/v1/authn', url: '/api/v1/authn?', threatSuspected: 'false' } },
    legacyEventType: 'core.user_auth.login_success',
    transaction: { type: 'WEB', id: Math.floor(rnd() * 1e15).toString(36), detail: {} },
    uuid: uuidOf(rnd, i), version: '0',
    request: { ipChain: [{ ip: `198.51.100.${Math.floor(rnd() * 200)}`, geographicalContext: { city: 'Frankfurt', country: 'Germany' }, version: 'V4', source: null }] },
    target: [{ id: `0oa${String(n % 9).padStart(17, '0')}`, type: 'AppInstance', alternateId: 'Bench App', displayName: 'Bench App', detailEntry: null }],
  };
}

export function bedrockRecord(i, rnd, t) {
  const n = Math.floor(rnd() * 30);
  const words = ['ticket', 'refund', 'invoice', 'password', 'order', 'delivery', 'account', 'upgrade'];
  const text = Array.from({ length: 40 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
  const inTok = 60 + Math.floor(rnd() * 400);
  const outTok = 10 + Math.floor(rnd() * 200);
  return {
    schemaType: 'ModelInvocationLog', schemaVersion: '1.0', timestamp: new Date(t).toISOString(), accountId: ACCOUNT,
    identity: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/agent-role-${n % 6}/i-0${n.toString(16).padStart(16, '0')}` },
    region: REGIONS[n % 2], requestId: uuidOf(rnd, i), operation: 'Converse', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    input: { inputContentType: 'application/json', inputBodyJson: { messages: [{ role: 'user', content: [{ text: `Summarise ${text}` }] }], system: [{ text: 'You are the support assistant.' }], inferenceConfig: { maxTokens: 512 } }, inputTokenCount: inTok },
    output: { outputContentType: 'application/json', outputBodyJson: { output: { message: { role: 'assistant', content: [{ text: text.slice(0, 200) }] } }, stopReason: 'end_turn', metrics: { latencyMs: Math.floor(rnd() * 2000) }, usage: { inputTokens: inTok, outputTokens: outTok, totalTokens: inTok + outTok } }, outputTokenCount: outTok },
  };
}

const FALCO_RULES = [['Terminal shell in container', 'Notice', 'execve'], ['Read sensitive file untrusted', 'Warning', 'openat'], ['Contact K8S API Server From Container', 'Notice', 'connect'], ['Drop and execute new binary in container', 'Critical', 'execve']];
export function falcoAlert(i, rnd, t) {
  const [rule, priority, evt] = FALCO_RULES[Math.floor(rnd() * FALCO_RULES.length)];
  const n = Math.floor(rnd() * 40);
  const cid = Math.floor(rnd() * 0xffffffffffff).toString(16).padStart(12, '0');
  const pod = `web-${n}-7d9c${(n * 7919).toString(36)}`;
  const ts = new Date(t).toISOString().replace('Z', '000000Z');
  const cmd = `sh -c curl -s http://10.0.${n}.12/health?i=${i.toString(36)} | tee /tmp/out-${i.toString(36)}`;
  return {
    hostname: `ip-10-0-${n % 8}-${10 + (n % 200)}.ec2.internal`,
    output: `${ts.slice(11, 29)}: ${priority} ${rule} (user=root user_loginuid=-1 process=sh proc_exepath=/bin/sh parent=python3 command=${cmd} terminal=34816 container_id=${cid} container_name=${pod} image=registry.example/web:1.${n})`,
    output_fields: { 'evt.time': t * 1e6, 'evt.type': evt, 'container.id': cid, 'container.name': pod, 'container.image.repository': 'registry.example/web', 'container.image.tag': `1.${n}`, 'k8s.ns.name': 'shop', 'k8s.pod.name': pod, 'proc.name': 'sh', 'proc.pname': 'python3', 'proc.exepath': '/bin/sh', 'proc.cmdline': cmd, 'user.name': 'root', 'user.uid': 0, 'user.loginuid': -1, 'fd.name': evt === 'openat' ? '/etc/shadow' : null, 'proc.pid': 1000 + Math.floor(rnd() * 60000), 'proc.ppid': 900 + n, 'proc.tty': 34816, 'proc.exe': '/bin/sh', 'proc.aname[2]': 'gunicorn', 'proc.aname[3]': 'containerd-shim', 'k8s.pod.labels': `app=web,tier=frontend,rev=${n}`, 'container.image.digest': `sha256:${Math.floor(rnd() * 1e15).toString(16).padStart(64, '0')}` },
    priority, rule, source: 'syscall',
    tags: ['maturity_stable', 'container', 'shell', 'mitre_execution', 'T1059'],
    time: ts,
  };
}


/** The header line of the VPC flow log default format (v2), as S3 delivery writes it at the top of each file. */
export const FLOW_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** One VPC flow log line (default format): mostly accepted traffic between 40 interfaces and a few hundred peers. */
export function flowLine(i, rnd, t) {
  const n = Math.floor(rnd() * 40);
  const eni = `eni-0${n.toString(16).padStart(16, '0')}`;
  const src = `10.0.${n % 8}.${10 + n}`;
  const out = rnd() < 0.6;
  const peer = rnd() < 0.7 ? `10.0.${Math.floor(rnd() * 8)}.${Math.floor(rnd() * 250) + 2}` : `198.51.100.${Math.floor(rnd() * 200)}`;
  const [a, b] = out ? [src, peer] : [peer, src];
  const port = [443, 5432, 6379, 8080, 53][Math.floor(rnd() * 5)];
  const eph = 32768 + Math.floor(rnd() * 28000);
  const pk = 1 + Math.floor(rnd() * 200);
  const start = Math.floor(t / 1000);
  const act = rnd() < 0.03 ? 'REJECT' : 'ACCEPT';
  return `2 ${ACCOUNT} ${eni} ${a} ${b} ${out ? eph : port} ${out ? port : eph} 6 ${pk} ${pk * (60 + Math.floor(rnd() * 1400))} ${start} ${start + 60} ${act} OK`;
}
