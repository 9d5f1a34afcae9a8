/**
 * Outgoing HTTP like n8n's own: HTTP_PROXY / HTTPS_PROXY / ALL_PROXY with NO_PROXY (and
 * their lower-case forms), read per request. An https target goes through a CONNECT
 * tunnel (https-proxy-agent), so TLS runs end to end with Runway; axios's built-in proxy
 * support is off because it sends https requests to the proxy in the clear.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

export interface ProxyAgents {
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
  /** Always false: the agents above carry the proxy. */
  proxy: false;
}

const cache = new Map<string, ProxyAgents>();

/** The agents for a request to `url` (none when no proxy applies to it). */
export function proxyAgentsFor(url: string): ProxyAgents {
  const proxyUrl = getProxyForUrl(url);
  if (!proxyUrl) return { proxy: false };
  let agents = cache.get(proxyUrl);
  if (!agents) {
    agents = { httpAgent: new HttpProxyAgent(proxyUrl), httpsAgent: new HttpsProxyAgent(proxyUrl), proxy: false };
    cache.set(proxyUrl, agents);
  }
  return agents;
}

/** The proxy a request to `url` would use, for messages (credentials removed). */
export function proxyFor(url: string): string | undefined {
  const proxyUrl = getProxyForUrl(url);
  if (!proxyUrl) return undefined;
  try {
    const parsed = new URL(proxyUrl);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable proxy setting)';
  }
}
