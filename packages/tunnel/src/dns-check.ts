import { Resolver, promises as dns } from 'node:dns';

/**
 * Resolve a new quick-tunnel hostname at its zone's own name servers (trycloudflare.com's), not through
 * the local resolver: asking a caching resolver too early would plant the very NXDOMAIN we wait out.
 * Resolves to the addresses, `[]` while the name does not exist yet; rejects when DNS cannot be
 * queried from here at all (offline, no resolver), which makes the caller skip the wait.
 */
export async function resolveHostnameAuthoritatively(hostname: string): Promise<string[]> {
  const zone = hostname.split('.').slice(-2).join('.');
  const servers = await nameServerAddresses(zone);
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers(servers);
  const query = (kind: 'A' | 'AAAA') =>
    new Promise<string[]>((resolve, reject) => {
      const done = (error: NodeJS.ErrnoException | null, addresses: string[]) => {
        if (!error) return resolve(addresses);
        if (error.code === 'ENOTFOUND' || error.code === 'ENODATA') return resolve([]);
        reject(error);
      };
      if (kind === 'A') resolver.resolve4(hostname, done);
      else resolver.resolve6(hostname, done);
    });
  const [v4, v6] = await Promise.all([query('A'), query('AAAA').catch(() => [] as string[])]);
  return [...v4, ...v6];
}

// The zone's name servers change rarely; look them up once per process.
const nsCache = new Map<string, Promise<string[]>>();

function nameServerAddresses(zone: string): Promise<string[]> {
  let cached = nsCache.get(zone);
  if (!cached) {
    cached = (async () => {
      const names = await dns.resolveNs(zone);
      const lists = await Promise.all(names.slice(0, 4).map((n) => dns.resolve4(n).catch(() => [] as string[])));
      const addresses = lists.flat();
      if (!addresses.length) throw new Error(`no address for the name servers of ${zone}`);
      return addresses;
    })();
    cached.catch(() => nsCache.delete(zone));
    nsCache.set(zone, cached);
  }
  return cached;
}
