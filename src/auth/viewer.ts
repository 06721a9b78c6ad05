/** Who is calling, resolved once per request or WebSocket connection from its credentials. */
export type Viewer =
  | {
      role: 'admin';
      accountId: string;
      /** The admin's username (JWT `sub`), or `service:<key id>` for an API key. */
      username: string;
      /** Stable id of the credential, for rate limits and connection caps. */
      credentialId: string;
      /** When the credentials stop being valid (ms since the epoch); absent: they do not expire. */
      expiresAt?: number;
    }
  | {
      role: 'user';
      accountId: string;
      userId: number;
      credentialId: string;
      expiresAt?: number;
    };
