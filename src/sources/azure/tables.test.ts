import { describe, expect, it } from 'vitest';
import { portalTime, rowObject, signInFromRow } from './tables.js';

describe('Azure tables', () => {
  it('reads the portal CSV date form as UTC ISO 8601', () => {
    expect(portalTime('11/20/2026, 10:02:00.000 AM')).toBe('2026-11-20T10:02:00.000Z');
    expect(portalTime('2/3/2026, 12:05:09.5 AM')).toBe('2026-02-03T00:05:09.500Z');
    expect(portalTime('2/3/2026, 12:05:09 PM')).toBe('2026-02-03T12:05:09.000Z');
    expect(portalTime('2026-02-03T12:05:09Z')).toBeUndefined();
  });

  it('parses dynamic cells, drops empty ones, names columns without the [UTC] suffix', () => {
    const o = rowObject({ format: 'table', columns: ['TimeGenerated [UTC]', 'Status', 'Empty'], types: ['datetime', 'dynamic', 'string'] }, ['2026-01-01T00:00:00Z', '{"errorCode":0}', '']);
    expect(o).toEqual({ TimeGenerated: '2026-01-01T00:00:00Z', Status: { errorCode: 0 } });
  });

  it('a SigninLogs row becomes a Graph signIn (ResultType as status.errorCode), native from the API', () => {
    const header = { format: 'table' as const, columns: ['Id', 'TimeGenerated', 'UserPrincipalName', 'AppId', 'IPAddress', 'ResultType'], types: ['string', 'datetime', 'string', 'string', 'string', 'string'] };
    const made = signInFromRow(header, ['id-1', '2026-01-01T00:00:00Z', 'a@b.example', 'app', '203.0.113.1', '50126']);
    expect(made?.origin).toBe('native');
    expect(made?.record).toMatchObject({ id: 'id-1', createdDateTime: '2026-01-01T00:00:00Z', ipAddress: '203.0.113.1', status: { errorCode: 50126 } });
    expect(signInFromRow({ format: 'table', columns: ['X', 'Y'] }, [1, 2])).toBeUndefined();
  });
});
