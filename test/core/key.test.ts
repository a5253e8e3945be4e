import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Key, UnserializableKeyError } from '../../src/index.js';

describe('Key', () => {
  it('holds state with null/undefined counting as absent', () => {
    const key = new Key('k');
    expect(key.hasState('s')).toBe(false);
    key.setState('s', 'token');
    expect(key.hasState('s')).toBe(true);
    expect(key.getState<string>('s')).toBe('token');
    key.setState('s', null);
    expect(key.hasState('s')).toBe(false);
    key.setState('s', 1);
    key.removeState('s');
    expect(key.hasState('s')).toBe(false);
  });

  it('only ever shortens its lifetime, and resets it', () => {
    const key = new Key('k');
    expect(key.getRemainingLifetime()).toBeNull();
    expect(key.isExpired()).toBe(false);
    key.reduceLifetime(10_000);
    const first = key.getRemainingLifetime()!;
    expect(first).toBeGreaterThan(9_000);
    key.reduceLifetime(60_000);
    expect(key.getRemainingLifetime()!).toBeLessThanOrEqual(first);
    key.reduceLifetime(0);
    expect(key.isExpired()).toBe(true);
    key.resetLifetime();
    expect(key.isExpired()).toBe(false);
    expect(key.getRemainingLifetime()).toBeNull();
  });

  it('round-trips through JSON with state and remaining lifetime', () => {
    const key = new Key('report:2026');
    key.setState('token', 'abc');
    key.reduceLifetime(5_000);
    const copy = Key.fromJSON(JSON.parse(JSON.stringify(key)));
    expect(copy.resource).toBe('report:2026');
    expect(copy.getState<string>('token')).toBe('abc');
    // The same deadline on both sides (a lost or reset lifetime would be null or 5,000 ms off).
    expect(Math.abs(copy.getRemainingLifetime()! - key.getRemainingLifetime()!)).toBeLessThan(1_000);
    expect(Key.fromJSON(JSON.stringify(key)).resource).toBe('report:2026');
  });

  it('refuses to serialize once marked, for good', () => {
    const key = new Key('local');
    key.markUnserializable();
    expect(() => key.toJSON()).toThrow(UnserializableKeyError);
    expect(() => key.toJSON()).toThrow(/"local"/);
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
  ])('rejects %s as a resource', (_label, resource) => {
    expect(() => new Key(resource as string)).toThrow(InvalidArgumentError);
    expect(() => new Key(resource as string)).toThrow(/resource must be a non-empty string/);
  });

  it.each([
    ['null', null, /needs an object/],
    ['a number', 42, /needs an object/],
    ['an array', [], /needs an object/],
    ['broken JSON text', '{"v":1,', /not valid JSON/],
    ['an unknown version', { v: 2, resource: 'x', expiresAt: null, state: {} }, /version 2/],
    ['a missing resource', { v: 1, expiresAt: null, state: {} }, /"resource" must be a non-empty string/],
    ['an empty resource', { v: 1, resource: '', expiresAt: null, state: {} }, /"resource"/],
    ['a text expiry', { v: 1, resource: 'x', expiresAt: 'soon', state: {} }, /"expiresAt"/],
    ['an infinite expiry', { v: 1, resource: 'x', expiresAt: Infinity, state: {} }, /"expiresAt"/],
    ['null state', { v: 1, resource: 'x', expiresAt: null, state: null }, /"state" must be an object/],
    ['array state', { v: 1, resource: 'x', expiresAt: null, state: [1] }, /"state"/],
  ])('Key.fromJSON rejects %s with a message naming the problem', (_label, input, message) => {
    expect(() => Key.fromJSON(input as never)).toThrow(InvalidArgumentError);
    expect(() => Key.fromJSON(input as never)).toThrow(message);
  });

  it('rejects a non-number lifetime', () => {
    expect(() => new Key('k').reduceLifetime(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => new Key('k').reduceLifetime('5' as never)).toThrow(/reduceLifetime/);
  });
});
