// A real OpenID Connect provider (panva's oidc-provider) for the SSO tests, with its own
// development sign-in pages: any login is accepted and becomes the account's email.
// Usage: node server.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        // "x+sg-admins.staff@usd999.org" is in the groups sg-admins and staff (for role mapping).
        const tag = id.split('@')[0].split('+')[1];
        const groups = tag ? tag.split('.') : [];
        return { sub: id, email: id, email_verified: !id.startsWith('unverified'), name: id, groups };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['staffguard-test-only'] },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
