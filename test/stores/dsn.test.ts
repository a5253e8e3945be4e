import { describe, expect, it } from 'vitest';
import { redactDsn } from '../../src/stores/dsn.js';

describe('redactDsn', () => {
  it.each([
    ['redis://:s3cret@host:6379/0', 'redis://:***@host:6379/0'],
    ['redis://user:s3cret@host', 'redis://user:***@host'],
    ['redis://s3cret@host', 'redis://***@host'],
    ['postgres://app:pa/ss@db/x', 'postgres://app:***@db/x'],
    ['postgres://app:pa#ss@db/x', 'postgres://app:***@db/x'],
    ['postgres://app:pa?ss@db/x', 'postgres://app:***@db/x'],
    ['postgres://app:p@ss@db/x', 'postgres://app:***@db/x'],
    ['mysql://host/db?password=s3cret&x=1', 'mysql://host/db?password=***&x=1'],
    ['redis://host?auth=s3cret', 'redis://host?auth=***'],
  ])('%s -> %s', (dsn, expected) => {
    expect(redactDsn(dsn)).toBe(expected);
    expect(redactDsn(dsn)).not.toMatch(/s3cret|pa.ss|p@ss/);
  });

  it('leaves a DSN without secrets as it is', () => {
    expect(redactDsn('redis://host:6379/2')).toBe('redis://host:6379/2');
    expect(redactDsn('flock:///var/lock')).toBe('flock:///var/lock');
  });
});
