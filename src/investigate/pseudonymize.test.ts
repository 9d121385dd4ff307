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
