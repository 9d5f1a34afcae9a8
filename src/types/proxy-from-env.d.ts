// proxy-from-env ships no types.
declare module 'proxy-from-env' {
  /** The proxy URL for a request URL from the *_PROXY / NO_PROXY environment, or '' for none. */
  export function getProxyForUrl(url: string): string;
}
