import {
  OAuth1Verifier,
  baseStringUri,
  hmacSha1Signature,
  percentEncode,
  signatureBaseString,
} from '../helpers/oauth1-verifier';

/**
 * The test verifier must itself be right before it can vouch for the adapter's signature.
 * Pinned against the published worked example, X's "Creating a signature"
 * (https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature):
 * its credentials, request, signature base string and resulting signature.
 */
const X_EXAMPLE = {
  credentials: {
    consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
    tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  },
  method: 'POST',
  url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
  contentType: 'application/x-www-form-urlencoded',
  body: 'status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21',
  nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
  timestamp: 1318622958,
  baseString:
    'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
  signature: 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=',
};

function exampleHeader(signature = X_EXAMPLE.signature): string {
  const fields: Array<[string, string]> = [
    ['oauth_consumer_key', X_EXAMPLE.credentials.consumerKey],
    ['oauth_nonce', X_EXAMPLE.nonce],
    ['oauth_signature', signature],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(X_EXAMPLE.timestamp)],
    ['oauth_token', X_EXAMPLE.credentials.token],
    ['oauth_version', '1.0'],
  ];
  return `OAuth ${fields.map(([k, v]) => `${k}="${percentEncode(v)}"`).join(', ')}`;
}

function protocolParams(): Map<string, string> {
  return new Map([
    ['oauth_consumer_key', X_EXAMPLE.credentials.consumerKey],
    ['oauth_nonce', X_EXAMPLE.nonce],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(X_EXAMPLE.timestamp)],
    ['oauth_token', X_EXAMPLE.credentials.token],
    ['oauth_version', '1.0'],
  ]);
}

describe('the RFC 5849 test verifier, against the published X example', () => {
  it('builds the documented signature base string and signature', () => {
    const base = signatureBaseString(X_EXAMPLE, protocolParams());
    expect(base).toBe(X_EXAMPLE.baseString);
    expect(hmacSha1Signature(base, X_EXAMPLE.credentials.consumerSecret, X_EXAMPLE.credentials.tokenSecret)).toBe(X_EXAMPLE.signature);
  });

  it('accepts the documented request at its own time', () => {
    const verifier = new OAuth1Verifier(X_EXAMPLE.credentials, () => X_EXAMPLE.timestamp);
    expect(verifier.verify({ ...X_EXAMPLE, authorization: exampleHeader() })).toEqual({ ok: true, nonce: X_EXAMPLE.nonce, timestamp: X_EXAMPLE.timestamp });
  });

  it.each([
    ['a changed query', { url: X_EXAMPLE.url.replace('true', 'false') }],
    ['a changed form body', { body: X_EXAMPLE.body.replace('Ladies', 'Lords') }],
    ['another method', { method: 'PUT' }],
    ['another host', { url: X_EXAMPLE.url.replace('api.twitter.com', 'api.example.com') }],
  ])('refuses the request with %s', (_what, change) => {
    const verifier = new OAuth1Verifier(X_EXAMPLE.credentials, () => X_EXAMPLE.timestamp);
    expect(verifier.verify({ ...X_EXAMPLE, ...change, authorization: exampleHeader() })).toEqual({ ok: false, why: 'signature does not match' });
  });

  it('refuses a forged signature, a stale timestamp and a nonce used before', () => {
    const forged = new OAuth1Verifier(X_EXAMPLE.credentials, () => X_EXAMPLE.timestamp);
    expect(forged.verify({ ...X_EXAMPLE, authorization: exampleHeader('hCtSmYh+iHYCEqBWrE7C7hYmtUl=') })).toMatchObject({ ok: false, why: 'signature does not match' });

    const late = new OAuth1Verifier(X_EXAMPLE.credentials, () => X_EXAMPLE.timestamp + 301);
    expect(late.verify({ ...X_EXAMPLE, authorization: exampleHeader() })).toEqual({ ok: false, why: 'timestamp is stale' });

    const once = new OAuth1Verifier(X_EXAMPLE.credentials, () => X_EXAMPLE.timestamp);
    expect(once.verify({ ...X_EXAMPLE, authorization: exampleHeader() }).ok).toBe(true);
    expect(once.verify({ ...X_EXAMPLE, authorization: exampleHeader() })).toEqual({ ok: false, why: 'nonce already used' });
  });

  it('normalises the base URI as RFC 5849 3.4.1.2 says (lowercase scheme and host, default port dropped)', () => {
    expect(baseStringUri('HTTP://EXAMPLE.COM:80/r%20v/X?id=123')).toBe('http://example.com/r%20v/X');
    expect(baseStringUri('https://www.example.net:8080/?q=1')).toBe('https://www.example.net:8080/');
  });
});
