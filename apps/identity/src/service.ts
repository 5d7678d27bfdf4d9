/**
 * The identity service (a small keystone): users, projects and roles in its own database,
 * password logins that issue signed expiring tokens with the service catalog, and the
 * validation and revocation of those tokens for the other services.
 */
import { Service, type ServiceLogger } from '@fjord/service-kit';
import { openIdentityDatabase } from './db/database.js';
import { IdentityManager } from './identity.js';
import { readIdentitySettings, registerIdentityOptions, type Config } from './options.js';
import { registerAdminRoutes, registerAdminWriteRoutes } from './routes/admin.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerVersionRoutes } from './routes/versions.js';
import { TokenSigner } from './tokens.js';

export interface IdentityServiceOptions {
  name?: string;
  logger?: ServiceLogger;
}

/** Revocations of expired tokens are forgotten this often. */
const PURGE_EVERY_MS = 10 * 60_000;

export async function createIdentityService(conf: Config, options: IdentityServiceOptions = {}): Promise<Service> {
  registerIdentityOptions(conf);
  const settings = readIdentitySettings(conf);
  const svc = new Service({ name: options.name ?? 'identity', conf, ...(options.logger ? { logger: options.logger } : {}) });
  // Identity checks its tokens itself, route by route: a shared `auth_strategy = keystone` must not make it ask itself.
  conf.set('DEFAULT', 'auth_strategy', 'noauth2');
  const db = await svc.database(openIdentityDatabase);
  const signer = new TokenSigner(settings.signingKey ?? (await db.repo.signingKey()));
  const identity = new IdentityManager(db.repo, signer, settings, svc.logger.child({ component: 'identity' }));
  svc.onStart(() => identity.bootstrap());
  svc.every(PURGE_EVERY_MS, 'purge-revocations', async () => void (await db.repo.purgeRevoked(new Date())));

  const app = await svc.http({
    host: settings.host,
    port: settings.port,
    title: 'Identity API (keystone v3 subset)',
    version: '3.14',
    description: 'Password logins, project-scoped tokens with the service catalog, their validation and revocation.',
    errorFormat: 'keystone',
  });
  registerVersionRoutes(app, null);
  registerTokenRoutes(app, identity);
  registerAdminRoutes(app, identity, db.repo);
  registerAdminWriteRoutes(app, identity, db.repo);
  return svc;
}
