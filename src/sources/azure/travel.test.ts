import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules } from '../../detect/engine.js';
import { inputsFromRecords } from '../../detect/record-inputs.js';
import { distanceKm } from '../../detect/stateful.js';

const pack = loadRulePack({ builtin: true });
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
let n = 0;

/** A successful Graph signIn of `upn` at T0 + minutes from (lat, lon) in `country`. */
function signIn(upn: string, min: number, ip: string, country: string, lat: number | null, lon: number | null): Record<string, unknown> {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    createdDateTime: new Date(T0 + min * 60_000).toISOString(),
    userPrincipalName: upn,
    userId: '26be570a-ae82-4189-b4e2-a37c6808512d',
    appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
    ipAddress: ip,
    status: { errorCode: 0 },
    location: { countryOrRegion: country, geoCoordinates: { latitude: lat, longitude: lon } },
  };
}

const travel = (recs: unknown[]): string[] => runRules(inputsFromRecords(recs), pack).filter((h) => h.rule.id === 'irctl-azure-impossible-travel').map((h) => h.summary);

describe('travel rules (irctl-azure-impossible-travel)', () => {
  it('measures great-circle distance', () => {
    expect(Math.round(distanceKm(52.3676, 4.9041, 1.3521, 103.8198))).toBe(10492);
    expect(distanceKm(10, 10, 10, 10)).toBe(0);
  });

  it('ignores two sign-ins from one IP address, and (0, 0) coordinates, which exporters write for unknown', () => {
    // Same IP geolocated in two countries: the database moved, not the person
    expect(travel([signIn('a@x.example', 0, '198.51.100.1', 'NL', 52.37, 4.9), signIn('a@x.example', 10, '198.51.100.1', 'SG', 1.35, 103.8)])).toEqual([]);
    // (0, 0) is no place: the country fallback applies (same country: nothing)
    expect(travel([signIn('b@x.example', 0, '198.51.100.2', 'NL', 52.37, 4.9), signIn('b@x.example', 10, '198.51.100.3', 'NL', 0, 0)])).toEqual([]);
  });

  it('fires once per impossible pair, also for sign-ins at the same instant, and not beyond the 24 h window', () => {
    expect(travel([signIn('c@x.example', 0, '198.51.100.4', 'NL', 52.37, 4.9), signIn('c@x.example', 0, '203.0.113.4', 'US', 40.71, -74.0)])).toEqual([
      'c@x.example signed in from NL then US 0 min later (5863 km, 351762 km/h; coordinates) from 203.0.113.4',
    ]);
    expect(travel([signIn('d@x.example', 0, '198.51.100.5', 'NL', 52.37, 4.9), signIn('d@x.example', 25 * 60, '203.0.113.5', 'SG', 1.35, 103.8)])).toEqual([]);
  });
});
