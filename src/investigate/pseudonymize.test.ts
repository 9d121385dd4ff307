import { describe, expect, it } from 'vitest';
import { Pseudonymizer, redactSecrets } from './pseudonymize.js';

describe('pseudonymization', () => {
  it('replaces principals, accounts, keys and IPs with stable pseudonyms and maps them back', () => {
    const p = new Pseudonymizer();
    const value = {
      actor: 'arn:aws:sts::111122223333:assumed-role/terraform-deploy/tf-run-1',
      actor_name: 'tf-run-1',
      role: 'arn:aws:iam::111122223333:role/terraform-deploy',
      access_key: 'ASIATFDEPLOY00000001',
      src: '198.51.100.40',
      v6: '2001:db8::1',
      text: 'terraform-deploy called from 198.51.100.40 in 111122223333 by ops@example.com',
      counts: { '198.51.100.40': 3 },
      event: '7a1ed05c-6df1-4bf9-ad6b-071234567890',
    };
    const out = p.value(value);
    const s = JSON.stringify(out);
    for (const real of ['111122223333', 'terraform-deploy', 'tf-run-1', 'ASIATFDEPLOY00000001', '198.51.100.40', '2001:db8::1', 'ops@example.com']) expect(s).not.toContain(real);
    expect(out.role).toBe('arn:aws:iam::ACCT_1:role/principal-1');
    expect(out.actor).toBe('arn:aws:sts::ACCT_1:assumed-role/principal-1/principal-2');
    expect(out.text).toMatch(/^principal-1 called from IP_1 in ACCT_1 by user-1@example.invalid$/);
    expect(out.event).toBe(value.event); // evidence ids are not touched
    expect(p.restore(out)).toEqual(value);
    // stable: the same value gets the same pseudonym later
    expect(p.text('again 198.51.100.40')).toBe('again IP_1');
    expect(p.restoreText('IP_1 and IP_10')).toBe('198.51.100.40 and IP_10');
  });

  it('removes secrets before anything else', () => {
    const t = redactSecrets('{"password":"hunter2","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","x":1} Bearer abcdefghijklmnopqrstuvwxyz sk-ant-api03-abcdefghijklmnop');
    expect(t).not.toMatch(/hunter2|wJalrXUtnFEMI|abcdefghijklmnopqrstuvwxyz|sk-ant-api03/);
    expect(t).toContain('"x":1');
  });
});

describe('pseudonymization by construction', () => {
  it('replaces a learnt name wherever it appears, before any pattern has seen it, and keeps public values', () => {
    // GIVEN the case's entities learnt first
    const p = new Pseudonymizer();
    p.learn([
      { kind: 'principal', value: 'arn:aws:iam::111122223333:user/svc-backup' },
      { kind: 'resource', value: 'arn:aws:s3:::customer-exports' },
      { kind: 'resource', value: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db/master-AbCdEf' },
      { kind: 'resource', value: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      { kind: 'principal', value: 'ec2.amazonaws.com' },
      { kind: 'user_agent', value: 'aws-cli/2.15' },
    ]);
    // WHEN a title and summaries mention them in prose
    const out = p.text('New admin by svc-backup (also SVC-BACKUP); bucket customer-exports opened; read prod/db/master; attached arn:aws:iam::aws:policy/AdministratorAccess via ec2.amazonaws.com with aws-cli/2.15; malice');
    // THEN no name is left, public values and words that merely contain a name are kept
    expect(out).not.toMatch(/svc-backup|customer-exports|prod\/db\/master/i);
    expect(out).toContain('arn:aws:iam::aws:policy/AdministratorAccess');
    expect(out).toContain('ec2.amazonaws.com with aws-cli/2.15; malice');
    expect(out).toMatch(/^New admin by principal-1 \(also principal-1\); bucket resource-\d+ opened/);
  });

  it('replaces account ids inside names and keeps evidence ids whole', () => {
    const p = new Pseudonymizer();
    p.learn([{ kind: 'account', value: '444455556666' }]);
    const out = p.text('bucket backup-444455556666 and 999988887777 in event 7a1ed05c-6df1-4bf9-ad6b-444455556666');
    expect(out).toBe('bucket backup-ACCT_1 and ACCT_2 in event 7a1ed05c-6df1-4bf9-ad6b-444455556666');
    expect(p.restoreText(out)).toBe('bucket backup-444455556666 and 999988887777 in event 7a1ed05c-6df1-4bf9-ad6b-444455556666');
  });

  it('redacts secret values in any nesting or escaping', () => {
    const secrets = ['PlantedPw-1', 'Planted"Pw-2', 'PlantedPw-3', 'PlantedPw-4', 'PlantedPw-5', 'PlantedPw-6', 'PlantedPw-7', 'PlantedTok-8abcdefgh'];
    const texts = [
      JSON.stringify({ password: secrets[0] }),
      JSON.stringify({ description: JSON.stringify({ dbPassword: secrets[1], ok: 'yes' }) }),
      JSON.stringify(JSON.stringify(JSON.stringify({ clientSecret: secrets[2] }))),
      `q=${encodeURIComponent(`password=${secrets[3]}&user=x`)}`,
      `q=${encodeURIComponent(encodeURIComponent(JSON.stringify({ apiKey: secrets[4] })))}`,
      `&quot;password&quot;:&quot;${secrets[5]}&quot;`,
      `\\u0022MasterUserPassword\\u0022:\\u0022${secrets[6]}\\u0022`,
      `Authorization: Bearer ${secrets[7]}`,
    ];
    for (const t of texts) {
      const out = redactSecrets(t);
      expect(out, t).not.toMatch(/Planted|Pw-\d|Tok-8/);
      expect(out).toContain('[REDACTED]');
    }
    // names of secrets are not secrets
    expect(redactSecrets('{"secretId":"prod/db","tokenCount":12}')).toBe('{"secretId":"prod/db","tokenCount":12}');
  });
});
