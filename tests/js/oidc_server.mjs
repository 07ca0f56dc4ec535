// A real OpenID Provider for the tests (tests/sso): the certified `oidc-provider` package on a
// loopback port. Its dev interactions (a login form that takes any account id, then a consent
// form) let the tests sign in with plain HTTP requests.
// Usage: node oidc_server.mjs CONFIG.json  — CONFIG: {"clients": [...], "accounts": {"id": {claims}}}
// Prints "ready ISSUER" on stdout once it listens.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-cookie-key'] },
    // The ID token carries the claims of the granted scopes (Entra ID and Inera's IdP do this).
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], hsa: ['hsa_id'] },
    scopes: ['openid', 'email', 'profile', 'hsa'],
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, id) {
      const claims = config.accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
