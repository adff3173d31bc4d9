import ipaddr from 'ipaddr.js'

/**
 * The key that flood control and rate limits count a client by. IPv4 addresses as they are; IPv6
 * addresses by their /64 prefix, because one subscriber usually gets a whole /64 and can rotate
 * through it for free. IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) count as the IPv4 address.
 */
export function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') return address.toString()
  const parts = (address as ipaddr.IPv6).parts
  return `${new ipaddr.IPv6([...parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`
}
