import { describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy.ts';

describe('AddressPolicy', () => {
  const publicOnly = new AddressPolicy();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'linkLocal'], // cloud metadata (AWS, GCP, Azure)
    ['fe80::1', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'], // AWS's IPv6 metadata address
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.100.100.200', 'carrierGradeNat'], // Alibaba Cloud's metadata address
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'], // an IPv4-mapped IPv6 address is judged as its IPv4
    ['::ffff:a9fe:a9fe', 'linkLocal'],
    ['2002:7f00:1::', '6to4'], // 6to4 embedding 127.0.0.1
    ['224.0.0.1', 'multicast'],
    ['198.18.0.1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(publicOnly.refusal(address)).toContain(range);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '[2606:4700:4700::1111]'])(
    'lets the public address %s through',
    (address) => {
      expect(publicOnly.refusal(address)).toBeUndefined();
    },
  );

  it('lets through exactly the networks an operator allows, and nothing next to them', () => {
    const onPrem = AddressPolicy.parse(' 10.20.0.0/16 , 127.0.0.1 ,fd12:3456::/32');
    expect(onPrem.refusal('10.20.3.4')).toBeUndefined();
    expect(onPrem.refusal('127.0.0.1')).toBeUndefined();
    expect(onPrem.refusal('::ffff:10.20.0.9')).toBeUndefined();
    expect(onPrem.refusal('fd12:3456::9')).toBeUndefined();
    expect(onPrem.refusal('10.21.0.1')).toContain('private');
    expect(onPrem.refusal('127.0.0.2')).toContain('loopback');
    expect(onPrem.refusal('169.254.169.254')).toContain('linkLocal');
  });

  it('refuses a name whose addresses include one refused address, and a name with none', () => {
    expect(() => publicOnly.check('mixed.example', ['93.184.216.34', '127.0.0.1'])).toThrow(
      /127\.0\.0\.1 is a loopback address/,
    );
    expect(() => publicOnly.check('empty.example', [])).toThrow(/no address/);
    expect(() => publicOnly.check('fine.example', ['93.184.216.34'])).not.toThrow();
  });

  it('refuses a setting that is not a list of networks', () => {
    expect(() => AddressPolicy.parse('10.0.0.0/8,intranet')).toThrow(/not a network/);
    expect(() => AddressPolicy.parse('10.0.0.0/33')).toThrow(/not a network/);
    expect(AddressPolicy.parse('').refusal('10.0.0.1')).toContain('private');
  });
});
