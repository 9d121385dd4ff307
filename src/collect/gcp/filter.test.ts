import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { coverageWarnings, logConfigOf } from './coverage.js';
import { auditLogKindOf, auditLogKinds, buildFilter, chunks, parsePage, resourceNames } from './filter.js';

describe('collect gcp: requests', () => {
  it('builds the filter from the log kinds, the closed window and the user clause in parentheses', () => {
    const f = buildFilter(['activity', 'policy'], Date.UTC(2026, 10, 28, 10), Date.UTC(2026, 10, 28, 11), 'a="x" OR b="y"');
    expect(f).toBe(
      '(log_id("cloudaudit.googleapis.com/activity") OR log_id("cloudaudit.googleapis.com/policy")) AND timestamp >= "2026-11-28T10:00:00.000Z" AND timestamp <= "2026-11-28T11:00:00.000Z" AND (a="x" OR b="y")',
    );
  });

  it('turns the flags into resource names, refusing ids that are not', () => {
    expect(resourceNames({ projects: ['prod-123', 'projects/prod-123', '123456789'], folders: ['42'], organizations: ['123456789012'] })).toEqual([
      'projects/prod-123',
      'projects/123456789',
      'folders/42',
      'organizations/123456789012',
    ]);
    expect(() => resourceNames({ projects: ['Prod_123'], folders: [], organizations: [] })).toThrow(UsageError);
    expect(() => resourceNames({ projects: [], folders: ['abc'], organizations: [] })).toThrow(/--folder "abc" is not a folder number/);
    expect(auditLogKinds(['data-access', 'activity', 'activity'])).toEqual(['data_access', 'activity']);
    expect(() => auditLogKinds(['access'])).toThrow(/not an audit log kind/);
    expect(chunks(Array.from({ length: 201 }, (_, i) => i)).map((c) => c.length)).toEqual([100, 100, 1]);
  });
});

describe('collect gcp: pages', () => {
  it('cuts each entry out of the page bytes as received', () => {
    const body = Buffer.from('{\n  "entries": [\n    {\n      "insertId": "a1", "timestamp": "2026-11-28T10:00:00.123456789Z",\n      "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"\n    },\n    {"insertId":"b2","timestamp":"2026-11-28T10:00:01Z","logName":"projects/p/logs/x"}\n  ],\n  "nextPageToken": "tok"\n}');
    const p = parsePage(body);
    expect(p.nextPageToken).toBe('tok');
    expect(p.entries).toHaveLength(2);
    const [a, b] = p.entries;
    expect(a!.item.type === 'record' && a!.item.bytes.toString()).toBe('{\n      "insertId": "a1", "timestamp": "2026-11-28T10:00:00.123456789Z",\n      "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"\n    }');
    expect(a).toMatchObject({ insertId: 'a1', timestamp: '2026-11-28T10:00:00.123456789Z', timeMs: Date.UTC(2026, 10, 28, 10, 0, 0, 123), kind: 'data_access' });
    expect(b).toMatchObject({ insertId: 'b2', kind: undefined });
  });

  it('reads pages without entries (the service sends some with only a token) and refuses bodies that are not pages', () => {
    expect(parsePage(Buffer.from('{}'))).toEqual({ entries: [], nextPageToken: undefined });
    expect(parsePage(Buffer.from('{"nextPageToken":"t"}'))).toEqual({ entries: [], nextPageToken: 't' });
    expect(() => parsePage(Buffer.from('<html>proxy error</html>'))).toThrow(/not JSON/);
    expect(() => parsePage(Buffer.from('{"entries": {}}'))).toThrow(/not an array/);
    expect(auditLogKindOf('organizations/1/logs/cloudaudit.googleapis.com%2Fpolicy')).toBe('policy');
  });
});

describe('collect gcp: log configuration', () => {
  it('warns about active exclusions of audit logs and a _Default retention shorter than the window', () => {
    const c = logConfigOf(
      'projects/p',
      [],
      [
        { name: 'drop-da', filter: 'log_id("cloudaudit.googleapis.com/data_access")', disabled: false },
        { name: 'off', filter: 'logName:cloudaudit', disabled: true },
        { name: 'debug', filter: 'severity<INFO' },
      ],
      [{ name: 'projects/p/locations/global/buckets/_Default', retentionDays: 30 }],
    );
    const now = Date.UTC(2026, 10, 28);
    expect(coverageWarnings(c, now - 40 * 86_400_000, now)).toEqual([
      expect.stringMatching(/^projects\/p: exclusion drop-da /),
      expect.stringMatching(/^projects\/p: the _Default bucket keeps 30 days/),
    ]);
    expect(coverageWarnings(c, now - 10 * 86_400_000, now)).toHaveLength(1);
  });
});
