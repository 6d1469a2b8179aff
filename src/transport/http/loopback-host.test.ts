import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './loopback-host.js';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST:8080',
    'localhost.',
    '127.0.0.1',
    '127.0.0.1:8080',
    '127.9.8.7:1',
    '[::1]',
    '[::1]:8080',
    '[0:0:0:0:0:0:0:1]:80',
  ])('accepts %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'evil.example',
    'evil.example:8080',
    'localhost.evil.example',
    '127.0.0.1.evil.example',
    '128.0.0.1',
    '192.168.1.5:8080',
    '0.0.0.0',
    '[::]',
    '[::ffff:127.0.0.1]',
    '::1',
    '[::1',
    '127.0.0.1:',
    '127.0.0.1:80:80',
    'localhost:http',
    '127.1',
    '2130706433',
  ])('refuses %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
